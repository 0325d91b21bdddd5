"""The one Markdown renderer: CommonMark + tables + footnotes, raw HTML shown as text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLink
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin

_SAFE_SCHEMES = {"http", "https", "mailto"}
_ROOT_LINK = re.compile(r'<a href="/(?!/)')
_SPACE = re.compile(r"\s")
_PLAIN_URL_CHARS = r"[A-Za-z0-9\-._~/?#@!$&'()*+,;=:]*"
_DNS_HOST = r"(?=[A-Za-z0-9.-]{1,255}(?![A-Za-z0-9.-]))(?:[A-Za-z0-9-]{0,63}\.)*[A-Za-z0-9-]{0,63}"
"""Labels of at most 63 characters, 255 in all: markdown-it cuts a longer one."""
_PLAIN_URL = re.compile(rf"(?:https?://{_DNS_HOST}(?::[0-9]+)?(?:[/?#]{_PLAIN_URL_CHARS})?"
                        rf"|/(?!/){_PLAIN_URL_CHARS})")
"""An http(s) address with an ASCII host, or a path from the root, with nothing to
percent-encode: `normalize_link` gives it back as it is."""


def is_safe_link(url: str) -> bool:
    """Only http(s), mailto and relative links survive; javascript:, data: and the rest go."""
    if url.isprintable() and not _SPACE.search(url):
        cleaned = url
    else:
        cleaned = "".join(ch for ch in url if ch.isprintable() and not ch.isspace())
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return False
    return scheme in _SAFE_SCHEMES or (scheme == "" and ":" not in cleaned.split("/")[0])


def _is_external(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")


def _link_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
               env: EnvType) -> str:
    token = tokens[idx]
    if _is_external(str(token.attrGet("href") or "")):
        token.attrSet("rel", "noopener noreferrer")
    return self.renderToken(tokens, idx, options, env)


def _image_as_link(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                   env: EnvType) -> str:
    """Images are not embedded: one from another site would let it track every reader."""
    token = tokens[idx]
    src = escapeHtml(str(token.attrGet("src") or ""))
    alt = escapeHtml(self.renderInlineAsText(token.children or [], options, env) or "image")
    return f'<a href="{src}" rel="noopener noreferrer">Image: {alt}</a>'


def _demote_headings(state: StateCore) -> None:
    """The page's title is its h1, so the body's highest heading becomes h2, whether the
    editor wrote '#' or '##', and the levels below it follow without a gap."""
    headings = [t for t in state.tokens if t.type in ("heading_open", "heading_close")]
    if not headings:
        return
    shift = 2 - min(int(t.tag[1]) for t in headings)
    for token in headings:
        token.tag = f"h{min(int(token.tag[1]) + shift, 6)}"


def normalize_link(url: str) -> str:
    """markdown-it's own, which parses, re-formats and percent-encodes every address (a
    tenth of rendering a typical article), skipped where it would change nothing."""
    return url if _PLAIN_URL.fullmatch(url) else normalizeLink(url)


def _make() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table").use(footnote_plugin)
    md.validateLink = is_safe_link  # type: ignore[method-assign]
    md.normalizeLink = normalize_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("image", _image_as_link)
    md.core.ruler.push("demote_headings", _demote_headings)
    return md


_MD = _make()


def render(text: str) -> str:
    env: dict[str, Any] = {}
    return str(_MD.render(text, env))


def under_base(html: str, base_path: str) -> str:
    """Root-relative links in rendered Markdown ('/people/x/') made to follow the site's
    sub-path ('/war/people/x/'), as the site's own links do; a link that already starts
    with the sub-path is left. Rendered bodies are cached without the sub-path (one parse
    serves the preview at '/' and the site at '/war/'), so this is applied on each page.
    Raw HTML is never let through, so every such '<a href="' is one this module wrote."""
    if base_path == "/":
        return html

    stem = base_path.rstrip("/")

    def rebased(match: re.Match[str]) -> str:
        start = match.end() - 1
        if html.startswith(stem, start) and html[start + len(stem)] in '/"?#':
            return match[0]  # '/war/x/', '/war', '/war#top' are already under '/war/'
        return f'<a href="{base_path}'

    return _ROOT_LINK.sub(rebased, html)
