"""A tiny HTML builder for the booking and manage pages: every text goes through html.escape.

Pages are whole documents served by `serve` itself (one stylesheet at /book/style.css, no
script, font or CDN from anywhere else) and work with plain links and forms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from html import escape
from urllib.parse import urlencode

STYLE = """
:root { color-scheme: light; --ink: #1b1f24; --muted: #4b5563; --line: #c9ced6;
  --accent: #0b5cad; --accent-ink: #ffffff; --bad: #a4161a; --ok: #1d6b34; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  color: var(--ink); background: #f6f7f9; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; background: #fff; min-height: 100vh; }
body.embed { background: #fff; }
body.embed main { min-height: 0; max-width: none; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
p.clinic { margin: 0 0 1rem; color: var(--muted); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 2; }
ul.types { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .5rem; }
ul.types a { display: inline-block; padding: .5rem .9rem; border: 1px solid var(--line);
  border-radius: .4rem; text-decoration: none; }
ul.types a[aria-current="true"] { background: var(--accent); color: var(--accent-ink);
  border-color: var(--accent); }
nav.weeks { display: flex; justify-content: space-between; gap: .5rem; flex-wrap: wrap;
  margin: .5rem 0; }
nav.weeks a, nav.weeks span { padding: .4rem .6rem; }
.days { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .75rem; }
.day { border: 1px solid var(--line); border-radius: .5rem; padding: .5rem .75rem; }
.day h3 { margin-top: 0; }
.times { display: flex; flex-wrap: wrap; gap: .4rem; margin: 0; }
button, .button { font: inherit; min-height: 2.75rem; min-width: 5.5rem; padding: .4rem .8rem;
  border-radius: .4rem; border: 1px solid var(--accent); background: #fff; color: var(--accent);
  cursor: pointer; }
button.primary { background: var(--accent); color: var(--accent-ink); }
button.danger { border-color: var(--bad); color: var(--bad); }
.none { color: var(--muted); margin: 0; }
form.details { display: grid; gap: .9rem; max-width: 32rem; }
.field label { display: block; font-weight: 600; }
.field input, .field textarea { font: inherit; width: 100%; padding: .5rem;
  border: 1px solid #8a929c; border-radius: .35rem; }
.field input[aria-invalid="true"] { border: 2px solid var(--bad); }
fieldset { border: 1px solid var(--line); border-radius: .5rem; padding: .5rem .75rem; }
fieldset div { padding: .3rem 0; }
fieldset input[type="radio"] { width: 1.25rem; height: 1.25rem; margin: 0 .5rem 0 0;
  vertical-align: middle; }
.hint { color: var(--muted); font-size: .9rem; margin: 0; }
.error { color: var(--bad); font-weight: 600; margin: .2rem 0 0; }
.alert { border: 2px solid var(--bad); border-radius: .5rem; padding: .75rem; margin: 1rem 0; }
.done { border: 2px solid var(--ok); border-radius: .5rem; padding: .75rem; margin: 1rem 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.link { word-break: break-all; }
details > summary { cursor: pointer; margin: 1.5rem 0 .5rem; }
details > summary h2 { display: inline; margin: 0; }
@media (max-width: 30rem) {
  main { padding: .75rem; }
  .days { grid-template-columns: 1fr; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .4rem; }
}
"""


def e(text: object) -> str:
    """Escaped for element text and attribute values alike."""
    return escape(str(text), quote=True)


def href(path: str, **query: str) -> str:
    """A path with its query, escaped for an attribute (the `+` of an offset as %2B)."""
    kept = {k: v for k, v in query.items() if v}
    return e(path + ("?" + urlencode(kept) if kept else ""))


def hidden(fields: Mapping[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{e(k)}" value="{e(v)}">' for k, v in fields.items() if v
    )


def day_label(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B}"


def time_label(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {'am' if moment.hour < 12 else 'pm'}"


def document(title: str, clinic_name: str, body: str, *, embed: bool) -> str:
    """A whole page: the title, the clinic's name and the body (already built HTML)."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} – {e(clinic_name)}</title>"
        '<link rel="stylesheet" href="/book/style.css"></head>'
        f'<body class="{"embed" if embed else "page"}">'
        '<a class="skip" href="#main">Skip to the booking</a>'
        f'<main id="main" tabindex="-1"><h1>{e(title)}</h1>'
        f'<p class="clinic">{e(clinic_name)}</p>{body}</main></body></html>'
    )


def alert(heading: str, lines: Iterable[str] = ()) -> str:
    """An announced problem (role=alert: read at once by screen readers)."""
    items = "".join(f"<li>{line}</li>" for line in lines)
    return (
        f'<div class="alert" role="alert"><p><strong>{e(heading)}</strong></p>'
        + (f"<ul>{items}</ul>" if items else "")
        + "</div>"
    )


def status(text: str) -> str:
    """An announced result (role=status, aria-live polite)."""
    return f'<div class="done" role="status" aria-live="polite"><p>{e(text)}</p></div>'


def field(
    name: str,
    label: str,
    value: str,
    error: str | None,
    *,
    kind: str = "text",
    autocomplete: str = "",
    hint: str = "",
    required: bool = True,
    focus: bool = False,
    textarea_max: int = 0,
) -> str:
    """A labelled input with its hint and its message beside it, tied by aria-describedby."""
    described = []
    if hint:
        described.append(f"{name}-hint")
    if error:
        described.append(f"{name}-error")
    attrs = [f'id="{e(name)}"', f'name="{e(name)}"']
    if described:
        attrs.append(f'aria-describedby="{" ".join(described)}"')
    if error:
        attrs.append('aria-invalid="true"')
    if required:
        attrs.append('aria-required="true"')
    if autocomplete:
        attrs.append(f'autocomplete="{e(autocomplete)}"')
    if focus:
        attrs.append("autofocus")
    if textarea_max:
        control = (
            f'<textarea {" ".join(attrs)} rows="3" maxlength="{textarea_max}">{e(value)}</textarea>'
        )
    else:
        control = f'<input type="{e(kind)}" {" ".join(attrs)} value="{e(value)}">'
    return (
        '<div class="field">'
        f'<label for="{e(name)}">{e(label)}{"" if required else " (optional)"}</label>'
        + (f'<p class="hint" id="{e(name)}-hint">{e(hint)}</p>' if hint else "")
        + control
        + (f'<p class="error" id="{e(name)}-error">{e(error)}</p>' if error else "")
        + "</div>"
    )
