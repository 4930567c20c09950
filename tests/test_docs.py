"""The documentation site builds in strict mode, and documents every public name."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
API_PAGES = ROOT / "docs" / "api"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The documentation site, built once in strict mode: (its folder, mkdocs' output)."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    pytest.importorskip("mkdocstrings", reason="the docs extra is not installed")
    folder = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-5000:]
    return folder, out


def test_site_builds_in_strict_mode(site):
    tmp_path, out = site
    # The gallery has a page per example, with the example's source in it.
    for example in sorted((ROOT / "examples").glob("*.py")):
        page = tmp_path / "examples" / example.stem / "index.html"
        assert page.is_file(), f"no gallery page for examples/{example.name}"
    # The API reference rendered the docstrings, not just the headings.
    estimators = (tmp_path / "api" / "estimators" / "index.html").read_text(encoding="utf-8")
    assert "random_state" in estimators and "MultimodalClassifierCV" in estimators
    # Docstrings use mkdocstrings' cross-references, never Sphinx roles shown as text,
    # and the signatures were formatted (the docs extra brings the formatter).
    role = re.compile(r":(class|func|meth|attr|data|mod|math|obj|exc|ref):(<code>|`)")
    for page in sorted(tmp_path.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        assert not role.search(html), f"a Sphinx role shown as text in {page.relative_to(tmp_path)}"
    assert "Formatting signatures requires" not in out.stderr + out.stdout
    # navigation titles are text: no reStructuredText quotes left in them
    navigation = re.findall(
        r'class="md-nav__link"[^>]*>(.*?)</a>',
        (tmp_path / "index.html").read_text(encoding="utf-8"),
        flags=re.S,
    )
    assert navigation and not [title for title in navigation if "``" in title]


#: Pages looked at in a real browser: a guide page and the API page with the most
#: docstrings (each Chromium start costs seconds).
BROWSED = ("raw_tables/index.html", "api/estimators/index.html")


def test_pages_render_in_a_headless_browser(site, tmp_path):
    """Debian's Chromium renders the built pages: the API headings are in the rendered
    page, no Sphinx role shows, and each screenshot (kept in a temporary folder) holds
    a drawn page, not a blank one."""
    from PIL import Image

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip(reason="Chromium is not installed (Debian: apt-get install chromium)")
    folder, _ = site
    role = re.compile(r":(class|func|meth|attr|data|mod|math):(<code>|`)")
    for page in BROWSED:
        url = (folder / page).as_uri()
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
        dom = subprocess.run(
            [browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120
        )
        assert dom.returncode == 0, dom.stderr[-2000:]
        assert "<article" in dom.stdout and not role.search(dom.stdout), page
        shot = tmp_path / (page.replace("/", "_") + ".png")
        subprocess.run(
            [browser, *flags, f"--screenshot={shot}", "--window-size=1280,1600", url],
            capture_output=True,
            timeout=120,
        )
        with Image.open(shot) as image:
            colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50, f"{page}: the screenshot is nearly blank"
        if page.startswith("api/"):
            assert "MultimodalClassifier" in dom.stdout and "random_state" in dom.stdout


def _documented_names():
    text = "\n".join(p.read_text(encoding="utf-8") for p in API_PAGES.glob("*.md"))
    return {m.rsplit(".", 1)[-1] for m in re.findall(r"^::: ([\w.]+)", text, flags=re.M)}


def test_every_public_name_has_an_api_entry():
    import skmm
    import skmm.compose
    import skmm.datasets
    import skmm.modalities
    import skmm.plotting
    import skmm.preprocessing

    documented = _documented_names()
    public = set(skmm.__all__) - {"__version__"}
    public |= set(skmm.preprocessing.__all__) | set(skmm.datasets.__all__)
    public |= {"MultimodalInput", "MultimodalBlocks", "BlockSpec"}
    # ``::: skmm.plotting`` renders the whole module: its public names are covered.
    if "plotting" not in documented:
        public |= set(skmm.plotting.__all__)
    if "modalities" not in documented:
        public |= set(skmm.modalities.__all__)
    missing = sorted(public - documented)
    assert not missing, f"public names without an entry in docs/api/: {missing}"
