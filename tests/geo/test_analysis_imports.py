from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_analysis_modules_need_no_ui_database_or_test_only_packages() -> None:
    code = (
        "import sys\n"
        "import geo.hotspots, geo.register, geo.stats, geo.trend\n"
        "banned = ('streamlit', 'sqlalchemy', 'folium', 'esda', 'libpysal')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in banned)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""
