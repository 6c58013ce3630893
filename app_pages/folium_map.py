"""A folium map in a page through streamlit-folium's component, rendered once and cached.

``st_folium`` renders the whole map on every rerun (folium's templates, the scripts of every
layer, several passes of regular expressions over megabytes of script) before handing the
result to its component. :func:`map_arguments` does that rendering once, into plain strings
that ``st.cache_data`` can keep; :func:`show_map` hands them to the same component. Both follow
``streamlit_folium.st_folium`` (0.27, pinned in uv.lock) for a plain ``folium.Map``, with its
own helpers; branca colour bars (which st_folium serves with d3 from a CDN) are not supported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import folium
import streamlit_folium as sf
from folium.elements import JSCSSMixin

__all__ = ["map_arguments", "show_map"]


def _walk(element: Any) -> Iterator[Any]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def map_arguments(fmap: folium.Map) -> dict[str, Any]:
    """Render ``fmap`` into the strings streamlit-folium's component draws (picklable)."""
    fmap.get_root().render()
    fmap.render()
    south_west, north_east = fmap.get_bounds()
    css: list[str] = []
    js: list[str] = []
    for element in _walk(fmap):
        if isinstance(element, JSCSSMixin):
            css.extend(href for _, href in getattr(element, "default_css", []))
            js.extend(src for _, src in getattr(element, "default_js", []))
    script = sf._get_map_string(fmap)
    return {
        "script": script,
        "digest": sf.generate_js_hash(script),
        "header": sf._get_header(fmap),
        "html": sf._get_html(fmap),
        "id": sf.get_full_id(fmap),
        "bounds": {
            "_southWest": {"lat": south_west[0], "lng": south_west[1]},
            "_northEast": {"lat": north_east[0], "lng": north_east[1]},
        },
        "zoom": fmap.options.get("zoom"),
        "css_links": list(dict.fromkeys(css)),
        "js_links": list(dict.fromkeys(js)),
    }


def show_map(
    arguments: dict[str, Any], *, key: str, height: int, returned_objects: list[str]
) -> dict[str, Any]:
    """Draw a rendered map (full width) and return what the user did with it, as st_folium."""
    defaults = {
        "last_clicked": None,
        "last_object_clicked": None,
        "last_object_clicked_tooltip": None,
        "bounds": arguments["bounds"],
        "zoom": arguments["zoom"],
        "center": None,
    }
    return sf._component_func(  # type: ignore[no-any-return]
        script=arguments["script"],
        header=arguments["header"],
        html=arguments["html"],
        id=arguments["id"],
        key=f"{key}_{arguments['digest']}",  # a new map (new script) is a new component
        height=height,
        width=None,
        returned_objects=returned_objects,
        default={k: v for k, v in defaults.items() if k in returned_objects},
        zoom=None,
        center=None,
        feature_group=None,
        return_on_hover=False,
        layer_control=None,
        pixelated=False,
        css_links=arguments["css_links"],
        js_links=arguments["js_links"],
        wrap_longitude=False,
    )
