"""Make the SYNTHETIC sample data: a fictional county, its districts, incidents, missing episodes,
sites, assessments and actions. Seeded, so the same files come out every time.

    uv run python data/samples/make_samples.py [OUTPUT_FOLDER]

Nothing here is real: "Sampleshire" and its districts, towns, places and incidents are invented.
The county sits in the English Midlands only so that map tiles under it look plausible.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

SEED = 20261125
HERE = Path(__file__).resolve().parent
END_MONTH = pd.Timestamp("2026-10-01")
MONTHS = pd.date_range(END_MONTH - pd.DateOffset(months=23), END_MONTH, freq="MS")
TO_WGS = Transformer.from_crs(27700, 4326, always_xy=True)

#: Districts: code, name, town centre (BNG metres), town size (people-ish weight).
DISTRICTS = [
    ("X00000001", "Northbrook (synthetic)", (389_000, 351_000), 1.4),
    ("X00000002", "Ashford Vale (synthetic)", (402_000, 345_000), 0.9),
    ("X00000003", "Kingsmere (synthetic)", (381_000, 337_000), 1.0),
    ("X00000004", "Hollowmoor (synthetic)", (396_000, 333_000), 1.2),
    ("X00000005", "Ellerby (synthetic)", (410_000, 330_000), 0.7),
    ("X00000006", "Stonecross (synthetic)", (389_000, 322_000), 0.8),
]
CATEGORIES = {
    "Anti-social behaviour": 0.29,
    "Violence and sexual offences": 0.30,
    "Criminal damage and arson": 0.09,
    "Public order": 0.08,
    "Shoplifting": 0.06,
    "Other theft": 0.05,
    "Vehicle crime": 0.04,
    "Burglary": 0.04,
    "Drugs": 0.02,
    "Possession of weapons": 0.01,
    "Robbery": 0.006,
    "Bicycle theft": 0.007,
    "Theft from the person": 0.007,
    "Other crime": 0.01,
    "Child sexual exploitation": 0.008,
    "Child criminal exploitation": 0.008,
    "County lines": 0.006,
    "Serious youth violence": 0.008,
}
AGE_BANDS = ["10-12", "13-14", "15-16", "17", "18-24", "25+"]
AGE_P = [0.05, 0.14, 0.18, 0.08, 0.25, 0.30]

#: Planted hotspots: name, BNG offset from its district's town, pattern, district index.
HOTSPOTS = [
    ("Northbrook bus station", (150, -200), "persistent", 0),
    ("Hollowmoor retail park", (-900, 600), "persistent", 3),
    ("Kingsmere canal towpath", (1_200, 400), "emerging", 2),
    ("Ashford Vale station car park", (-500, -700), "emerging", 1),
    ("Stonecross leisure centre", (700, 900), "fading", 5),
    ("Ellerby high street", (-300, 200), "fading", 4),
]


def _county() -> shapely.Polygon:
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    rng = np.random.default_rng(SEED)
    radius = 24_000 * (1 + 0.12 * np.sin(3 * angles) + 0.05 * rng.standard_normal(48))
    x = 396_000 + radius * np.cos(angles) * 0.85
    y = 337_000 + radius * np.sin(angles)
    return shapely.Polygon(np.column_stack([x, y]))


def _districts() -> tuple[list[shapely.Polygon], shapely.Polygon]:
    county = _county()
    seeds = shapely.multipoints([c for _, _, c, _ in DISTRICTS])
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=county.buffer(5_000)))
    polygons = []
    for _, _, centre, _ in DISTRICTS:
        cell = next(c for c in cells if c.contains(shapely.Point(centre)))
        polygons.append(shapely.intersection(cell, county).simplify(50))
    return polygons, county


def _to_wgs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = TO_WGS.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.round(lat, 5), np.round(lon, 5)


def _snap(x: np.ndarray, y: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Snap to a grid, as police.uk snaps incidents to anonymous map points."""
    return np.round(x / step) * step, np.round(y / step) * step


def _geometry_json(polygon: shapely.Polygon) -> dict:
    def ring(coords: np.ndarray) -> list[list[float]]:
        lat, lon = _to_wgs(coords[:, 0], coords[:, 1])
        return [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]

    polygons = shapely.get_parts(polygon)
    return {
        "type": "MultiPolygon",
        "coordinates": [[ring(np.asarray(p.exterior.coords))] for p in polygons],
    }


def make(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    polygons, county = _districts()
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, "synthetic": True},
            "geometry": _geometry_json(poly),
        }
        for (code, name, _, _), poly in zip(DISTRICTS, polygons, strict=True)
    ]
    (out / "synthetic_districts.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "name": "SYNTHETIC Sampleshire districts",
                "features": features,
            },
            separators=(",", ":"),
        )
        + "\n"
    )

    # Background incidents: around towns, seasonal, plus a thin spread over the county.
    rows = []
    categories = list(CATEGORIES)
    weights = np.array(list(CATEGORIES.values()))
    weights = weights / weights.sum()
    for month_index, month in enumerate(MONTHS):
        season = 1 + 0.15 * np.sin(2 * np.pi * (month.month - 4) / 12)
        for (_code, _, (cx, cy), size), _polygon in zip(DISTRICTS, polygons, strict=True):
            n = rng.poisson(325 * size * season)
            x = rng.normal(cx, 2_600 * size, n)
            y = rng.normal(cy, 2_600 * size, n)
            rows.append(pd.DataFrame({"x": x, "y": y, "month": month, "pattern": "background"}))
        n_rural = rng.poisson(60)
        minx, miny, maxx, maxy = county.bounds
        rows.append(
            pd.DataFrame(
                {
                    "x": rng.uniform(minx, maxx, n_rural),
                    "y": rng.uniform(miny, maxy, n_rural),
                    "month": month,
                    "pattern": "background",
                }
            )
        )
        # Planted hotspots.
        for name, (dx, dy), pattern, district in HOTSPOTS:
            cx, cy = DISTRICTS[district][2]
            t = month_index / (len(MONTHS) - 1)
            rate = {
                "persistent": 26,
                "emerging": 0 if t < 0.55 else 8 + 70 * (t - 0.55),
                "fading": max(1.0, 34 * (1 - t) ** 2),
            }[pattern]
            n = rng.poisson(rate)
            rows.append(
                pd.DataFrame(
                    {
                        "x": rng.normal(cx + dx, 45, n),
                        "y": rng.normal(cy + dy, 45, n),
                        "month": month,
                        "pattern": name,
                    }
                )
            )
    frame = pd.concat(rows, ignore_index=True)
    inside = shapely.contains_xy(county, frame["x"], frame["y"])
    frame = frame[inside].reset_index(drop=True)
    n = len(frame)
    hotspot_rows = frame["pattern"] != "background"
    cat = rng.choice(categories, size=n, p=weights)
    hot_cats = rng.choice(
        [
            "Anti-social behaviour",
            "Drugs",
            "Violence and sexual offences",
            "Child criminal exploitation",
            "County lines",
            "Public order",
            "Child sexual exploitation",
            "Possession of weapons",
        ],
        size=n,
        p=[0.3, 0.2, 0.2, 0.08, 0.08, 0.06, 0.05, 0.03],
    )
    frame["category"] = np.where(hotspot_rows, hot_cats, cat)
    flags = np.full(n, "", dtype=object)
    flag_of = {
        "Drugs": "drugs",
        "Child sexual exploitation": "cse",
        "Child criminal exploitation": "cce",
        "County lines": "county_lines;drugs",
        "Possession of weapons": "weapon",
        "Serious youth violence": "weapon;gang",
    }
    for category, flag in flag_of.items():
        flags[(frame["category"] == category).to_numpy() & (rng.random(n) < 0.8)] = flag
    extra = hotspot_rows.to_numpy() & (rng.random(n) < 0.25) & (flags == "")
    flags[extra] = rng.choice(["cce", "drugs", "county_lines", "cse;online"], size=extra.sum())
    frame["flags"] = flags
    has_age = rng.random(n) < 0.35
    frame["age_band"] = np.where(has_age, rng.choice(AGE_BANDS, size=n, p=AGE_P), "")
    has_day = rng.random(n) < 0.4
    days = rng.integers(0, 28, n)
    frame["date"] = np.where(
        has_day, (frame["month"] + pd.to_timedelta(days, unit="D")).dt.strftime("%Y-%m-%d"), ""
    )
    has_hour = rng.random(n) < 0.4
    hours = rng.choice(
        np.arange(24),
        size=n,
        p=np.array([2, 2, 1, 1, 1, 1, 1, 2, 3, 3, 3, 4, 4, 5, 6, 8, 9, 8, 7, 7, 6, 6, 5, 3]) / 98,
    )
    frame["hour"] = np.where(has_hour, hours.astype(str), "")
    sx, sy = _snap(frame["x"].to_numpy(), frame["y"].to_numpy(), 35)
    frame["latitude"], frame["longitude"] = _to_wgs(sx, sy)
    frame["kind"] = "incident"
    frame["month"] = frame["month"].dt.strftime("%Y-%m")
    columns = [
        "kind",
        "category",
        "month",
        "date",
        "hour",
        "age_band",
        "flags",
        "latitude",
        "longitude",
    ]
    frame = frame.sort_values(["month", "category", "latitude", "longitude"], kind="stable")
    frame[columns].to_csv(out / "synthetic_incidents.csv", index=False)

    # Missing episodes: where children went missing from (coarse), and where they were found.
    episodes = []
    for month in MONTHS:
        for (_code, _, (cx, cy), size), _polygon in zip(DISTRICTS, polygons, strict=True):
            k = rng.poisson(14 * size)
            mx, my = _snap(rng.normal(cx, 2_200, k), rng.normal(cy, 2_200, k), 250)
            episodes.append(
                pd.DataFrame({"kind": "missing_from", "x": mx, "y": my, "month": month})
            )
            hot = [HOTSPOTS[i] for i in range(len(HOTSPOTS))]
            fx, fy = [], []
            for _ in range(k):
                if rng.random() < 0.45:
                    name, (dx, dy), _, district = hot[rng.integers(len(hot))]
                    hx, hy = DISTRICTS[district][2]
                    fx.append(rng.normal(hx + dx, 120))
                    fy.append(rng.normal(hy + dy, 120))
                else:
                    fx.append(rng.normal(cx, 1_500))
                    fy.append(rng.normal(cy, 1_500))
            sx2, sy2 = _snap(np.array(fx), np.array(fy), 35)
            episodes.append(pd.DataFrame({"kind": "found_at", "x": sx2, "y": sy2, "month": month}))
    missing = pd.concat(episodes, ignore_index=True)
    missing = missing[shapely.contains_xy(county, missing["x"], missing["y"])]
    missing["latitude"], missing["longitude"] = _to_wgs(missing["x"], missing["y"])
    missing["category"] = "Missing episode"
    missing["age_band"] = rng.choice(
        ["10-12", "13-14", "15-16", "17"], size=len(missing), p=[0.1, 0.35, 0.4, 0.15]
    )
    missing["month"] = missing["month"].dt.strftime("%Y-%m")
    missing = missing.sort_values(["kind", "month", "latitude", "longitude"], kind="stable")
    missing[["kind", "category", "month", "age_band", "latitude", "longitude"]].to_csv(
        out / "synthetic_missing_episodes.csv", index=False
    )

    _sites_and_assessments(out, rng)
    _episodes(out, polygons, county)


def _episodes(out: Path, polygons: list[shapely.Polygon], county: shapely.Polygon) -> None:
    """Missing episodes, one row per episode, with their own seed (the other files stay as
    they were): invented references, some children with repeat episodes, missing-from points
    (snapped to 250 m) and found-at points (often near the planted places; near the emerging
    ones they rise a few months before the exploitation incidents there), dates and RHI."""
    rng = np.random.default_rng(SEED + 16)
    rows = []
    n_children = 900
    # A child's usual missing-from point (home or placement), snapped coarse.
    district_of = rng.choice(len(DISTRICTS), size=n_children, p=[0.22, 0.14, 0.16, 0.2, 0.12, 0.16])
    homes = np.array([DISTRICTS[d][2] for d in district_of], dtype=float)
    homes += rng.normal(0, 2_000, homes.shape)
    # Most children go missing once; some again and again (the repeat missing).
    episodes_of = np.where(rng.random(n_children) < 0.7, 1, 1 + rng.geometric(0.25, n_children))
    episode_no = 0
    for child in range(n_children):
        months = np.sort(rng.choice(len(MONTHS), size=min(episodes_of[child], 20), replace=True))
        for month_index in months:
            episode_no += 1
            month = MONTHS[month_index]
            t = month_index / (len(MONTHS) - 1)
            hx, hy = homes[child]
            if rng.random() < 0.85:
                mx, my = rng.normal(hx, 150), rng.normal(hy, 150)
            else:
                mx, my = rng.normal(hx, 3_000), rng.normal(hy, 3_000)
            near = rng.random()
            emerging = [h for h in HOTSPOTS if h[2] == "emerging"]
            if t > 0.4 and near < 0.35:
                _, (dx, dy), _, district = emerging[rng.integers(len(emerging))]
            elif near < 0.55:
                _, (dx, dy), _, district = HOTSPOTS[rng.integers(len(HOTSPOTS))]
            else:
                district = None
            if district is not None:
                cx, cy = DISTRICTS[district][2]
                fx, fy = rng.normal(cx + dx, 120), rng.normal(cy + dy, 120)
            else:
                fx, fy = rng.normal(hx, 1_500), rng.normal(hy, 1_500)
            start = month + pd.Timedelta(days=int(rng.integers(0, 28)))
            end = start + pd.Timedelta(days=int(rng.choice([0, 0, 1, 1, 2, 3, 6])))
            offered = rng.random() < 0.85
            accepted = offered and rng.random() < 0.62
            within = accepted and rng.random() < 0.7
            rows.append(
                {
                    "episode_ref": f"SYN-EP-{episode_no:06d}",
                    "child_ref": f"SYN-CH-{child + 1:05d}",
                    "mx": mx,
                    "my": my,
                    "fx": fx,
                    "fy": fy,
                    "has_from": rng.random() > 0.08,
                    "has_found": rng.random() > 0.15,
                    "start_date": start.strftime("%Y-%m-%d"),
                    "end_date": end.strftime("%Y-%m-%d") if rng.random() > 0.03 else "",
                    "age_band": rng.choice(
                        ["10-12", "13-14", "15-16", "17"], p=[0.1, 0.35, 0.4, 0.15]
                    ),
                    "rhi_offered": "yes" if offered else "no",
                    "rhi_accepted": "yes" if accepted else ("no" if offered else ""),
                    "rhi_within_72h": "yes" if within else ("no" if accepted else ""),
                }
            )
    frame = pd.DataFrame(rows)
    mx, my = _snap(frame["mx"].to_numpy(), frame["my"].to_numpy(), 250)
    fx, fy = _snap(frame["fx"].to_numpy(), frame["fy"].to_numpy(), 35)
    has_from = frame["has_from"].to_numpy() & shapely.contains_xy(county, mx, my)
    has_found = frame["has_found"].to_numpy() & shapely.contains_xy(county, fx, fy)
    lat, lon = _to_wgs(mx, my)
    frame["missing_from_latitude"] = np.where(has_from, np.round(lat, 5).astype(str), "")
    frame["missing_from_longitude"] = np.where(has_from, np.round(lon, 5).astype(str), "")
    lat, lon = _to_wgs(fx, fy)
    frame["found_at_latitude"] = np.where(has_found, np.round(lat, 5).astype(str), "")
    frame["found_at_longitude"] = np.where(has_found, np.round(lon, 5).astype(str), "")
    frame = frame.sort_values(["start_date", "episode_ref"], kind="stable")
    frame[
        [
            "episode_ref",
            "child_ref",
            "missing_from_latitude",
            "missing_from_longitude",
            "found_at_latitude",
            "found_at_longitude",
            "start_date",
            "end_date",
            "age_band",
            "rhi_offered",
            "rhi_accepted",
            "rhi_within_72h",
        ]
    ].to_csv(out / "synthetic_episodes.csv", index=False)


SITE_TYPES = [
    "park",
    "transport_hub",
    "takeaway",
    "shopping_centre",
    "hotel",
    "car_park",
    "underpass",
    "leisure",
    "licensed_premises",
    "waterside",
    "youth_venue",
    "shop",
]


def _sites_and_assessments(out: Path, rng: np.random.Generator) -> None:
    sites = []
    planted_types = ["transport_hub", "shopping_centre", "waterside", "car_park", "leisure", "shop"]
    for (name, (dx, dy), _pattern, district), site_type in zip(
        HOTSPOTS, planted_types, strict=True
    ):
        cx, cy = DISTRICTS[district][2]
        sites.append(
            (name.title() + " (synthetic)", site_type, cx + dx, cy + dy, DISTRICTS[district][0])
        )
    invented = [
        "Jubilee Park",
        "Market Square",
        "Chicken Shack takeaway",
        "Canal Basin",
        "Riverside Walk",
        "Station Hotel",
        "Multi-storey car park",
        "Ring road underpass",
        "Skate park",
        "Youth hub",
        "Late shop",
        "The Crown (pub)",
        "Ice rink",
        "Memorial Gardens",
        "Bus interchange",
        "Retail park",
        "Arcade",
        "Bowling alley",
        "Community centre",
        "Towpath bridge",
        "Precinct shops",
        "Kebab shop",
    ]
    for i, base in enumerate(invented):
        district = i % len(DISTRICTS)
        code, town, (cx, cy), _ = DISTRICTS[district]
        sites.append(
            (
                f"{base}, {town.split(' (')[0]} (synthetic)",
                SITE_TYPES[i % len(SITE_TYPES)],
                cx + rng.normal(0, 1_200),
                cy + rng.normal(0, 1_200),
                code,
            )
        )
    frame = pd.DataFrame(sites, columns=["name", "site_type", "x", "y", "district_code"])
    frame["latitude"], frame["longitude"] = _to_wgs(frame["x"], frame["y"])
    frame["ref"] = [f"SITE-{i + 1:03d}" for i in range(len(frame))]
    frame["address_line"] = [
        f"{n.split(',')[0].split(' (')[0]}, Sampleshire" for n in frame["name"]
    ]
    frame[
        ["ref", "name", "site_type", "district_code", "latitude", "longitude", "address_line"]
    ].to_csv(out / "synthetic_sites.csv", index=False)

    # Assessments in every state, some overdue; actions open, late and done.
    today = dt.date(2026, 11, 15)
    rows, actions = [], []
    statuses = ["reviewed", "reviewed", "submitted", "draft", "reviewed", "submitted"]
    risks = ["high", "very high", "medium", "high", "low", "medium"]
    for i, ref in enumerate(frame["ref"][:20]):
        status = statuses[i % len(statuses)]
        risk = risks[i % len(risks)]
        months_ago = int(rng.integers(1, 14))
        assessed = (pd.Timestamp(today) - pd.DateOffset(months=months_ago)).date()
        rows.append(
            {
                "ref": f"ASMT-{i + 1:03d}",
                "site_ref": ref,
                "assessed_on": assessed,
                "organisation": frame["district_code"][i].replace("X0000000", "District ")
                + " council",
                "officer": f"Officer {chr(65 + i % 8)}",
                "status": status,
                "risk_rating": risk,
                "risk_reasons": "Young people gather after dark; poor natural surveillance",
                "findings": "Lighting poor on the north side; no CCTV coverage of the "
                "rear entrance; staff report older adults meeting children",
                "lighting": ["poor", "adequate", "none", "good"][i % 4],
                "cctv": ["none", "partial", "present, not monitored", "full, monitored"][i % 4],
                "signs_of_exploitation": ["seen", "suspected", "not seen"][i % 3],
                "sightlines": ["many hidden areas", "some hidden areas", "open, clear sightlines"][
                    i % 3
                ],
                "entrances_exits": ["many, unmonitored", "several", "single, visible"][i % 3],
                "natural_guardians": ["poor", "none", "adequate", "good"][i % 4],
                "community_guardians": ["none", "poor", "adequate"][i % 3],
                "drug_activity": ["seen", "suspected", "not seen"][(i + 1) % 3],
                "weapon_activity": ["not seen", "suspected", "seen"][i % 3],
                "times_of_concern": ["evenings;late night", "after school;weekends", "late night"][
                    i % 3
                ],
            }
        )
        for j in range(1 + i % 3):
            due = assessed + dt.timedelta(days=int(rng.integers(20, 160)))
            done = j == 0 and i % 2 == 0
            actions.append(
                {
                    "ref": f"ACT-{i + 1:03d}-{j + 1}",
                    "assessment_ref": f"ASMT-{i + 1:03d}",
                    "description": [
                        "Improve lighting on the footpath",
                        "Extend CCTV to the rear entrance",
                        "Licensing visit with police",
                    ][j],
                    "agency": ["Highways", "Community Safety", "Licensing"][j],
                    "owner": ["Street lighting team", "CCTV manager", "Licensing officer"][j],
                    "due_on": due,
                    "status": "done" if done else "open",
                    "completed_on": min(due, today) if done else "",
                }
            )
    pd.DataFrame(rows).to_csv(out / "synthetic_assessments.csv", index=False)
    pd.DataFrame(actions).to_csv(out / "synthetic_actions.csv", index=False)


if __name__ == "__main__":
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
