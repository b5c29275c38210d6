"""The booking page (`GET /book`, `/book?embed=1`) and manage-my-booking (`/manage/{token}`).

Server-rendered HTML that works with plain links and forms. The page holds no API key: its
own POSTs come back to this server, guarded by a signed double-submit token (a random
cookie, and in the form the HMAC of it under a secret made when the server starts) and by a
per-address rate limit. Booking, cancelling and moving call the same services as the API
(services.online through services.manage), so the same rules and messages apply.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from montu_desktop.api import html_page as h
from montu_desktop.domain import online as rules
from montu_desktop.domain.clinic_time import clinic_zone, to_local
from montu_desktop.domain.errors import (
    DatabaseUnavailable,
    InvalidRequest,
    MontuError,
    NotFound,
    PatientDoubleBooked,
    SlotTaken,
)
from montu_desktop.domain.model import from_epoch, week_start
from montu_desktop.domain.patients import PatientDetails, parse_birth_date, typed_patient_problems
from montu_desktop.services import manage, online
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy

log = logging.getLogger("montu_desktop.api")

CSRF_COOKIE = "montu_csrf"
MAX_FORM_BYTES = 16_384
FIELDS = ("given", "family", "dob", "phone", "email", "note")
LABELS = {
    "given": "Given name",
    "family": "Family name",
    "dob": "Date of birth",
    "phone": "Mobile",
    "email": "Email",
    "note": "Reason for visit",
}
FIELD_OPTIONS: dict[str, dict[str, Any]] = {
    "given": {"autocomplete": "given-name"},
    "family": {"autocomplete": "family-name"},
    "dob": {"autocomplete": "bday", "hint": "DD/MM/YYYY, e.g. 31/12/1980"},
    "phone": {
        "kind": "tel",
        "autocomplete": "tel",
        "hint": "A mobile or an email (or both), for your confirmation.",
        "required": False,
    },
    "email": {"kind": "email", "autocomplete": "email", "required": False},
    "note": {"required": False, "textarea_max": rules.MAX_NOTE},
}
"""How each of the booking form's fields is shown, in the form's order."""
# The product's own rules name fields as the desk does; the form's names are the issue's.
FROM_RULES = {
    "given_name": "given",
    "family_name": "family",
    "date_of_birth": "dob",
    "phone": "phone",
    "email": "email",
    "dob": "dob",
    "note": "note",
}


class Csrf:
    """Signed double-submit: the cookie is random, the form carries HMAC(secret, cookie)."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def sign(self, cookie: str) -> str:
        return hmac.new(self._secret, cookie.encode(), hashlib.sha256).hexdigest()

    def valid(self, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token or len(cookie) > 100 or len(token) > 100:
            return False
        return hmac.compare_digest(self.sign(cookie), token)


def _parse_start(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidRequest(
            "start", f"{text!r} is not a time like 2027-01-04T09:00:00+11:00"
        ) from None
    if moment.tzinfo is None:
        raise InvalidRequest("start", "must say which time zone it is in")
    return moment


def install_pages(
    app: FastAPI,
    ctx: ServiceContext,
    limiter: rules.RateLimiter,
    *,
    csrf: Csrf | None = None,
) -> None:
    """Add the booking and manage pages to the API's app."""
    guard = csrf or Csrf()

    def zone() -> str:
        return clinic_policy(ctx).timezone

    def local(moment: datetime) -> datetime:
        return to_local(moment, zone())

    def today() -> date:
        return local(ctx.clock()).date()

    def frame_ancestors(embed: bool) -> str:
        if not embed:
            return "'none'"
        return " ".join(["'self'", *sorted(online.allowed_origins(ctx))])

    def answer(
        request: Request, title: str, body: str, *, embed: bool, status: int = 200
    ) -> Response:
        cookie = request.cookies.get(CSRF_COOKIE)
        fresh = None if cookie and len(cookie) <= 100 else secrets.token_urlsafe(24)
        request.state.csrf = guard.sign(fresh or cookie or "")
        name = manage.clinic(ctx).name or "Online booking"
        page = h.document(
            title, name, body.replace("\x00csrf\x00", request.state.csrf), embed=embed
        )
        response = HTMLResponse(page, status)
        _headers(response, frame_ancestors(embed))
        if fresh:
            cross_site = embed and manage.public_url(ctx).startswith("https://")
            response.set_cookie(
                CSRF_COOKIE,
                fresh,
                httponly=True,
                secure=cross_site,
                samesite="none" if cross_site else "lax",
                path="/",
            )
        return response

    def refused(request: Request, title: str, reason: str, *, embed: bool, status: int) -> Response:
        return answer(request, title, h.alert(reason), embed=embed, status=status)

    def limited(request: Request) -> int:
        """Seconds to wait (0: go ahead) under the page key's rate, per client address."""
        key = manage.page_key(ctx)
        address = request.client.host if request.client else "unknown"
        return limiter.retry_after(f"page:{address}", key.rate_per_minute)  # type: ignore[arg-type]

    def guarded(
        handler: Callable[..., Response],
    ) -> Callable[..., Response]:
        def run(request: Request, *args: object, embed: bool = False) -> Response:
            try:
                wait = limited(request)
                if wait:
                    response = refused(
                        request,
                        "Please wait a moment",
                        f"Too many requests from your address; please try again in {wait} seconds.",
                        embed=embed,
                        status=429,
                    )
                    response.headers["Retry-After"] = str(wait)
                    return response
                return handler(request, *args, embed=embed)
            except manage.PageOff as exc:
                return refused(
                    request, "Online booking", _sentence(exc.reason), embed=embed, status=503
                )
            except DatabaseUnavailable:
                return refused(
                    request,
                    "Online booking",
                    "The clinic's booking system cannot be reached just now; please try again soon.",
                    embed=embed,
                    status=503,
                )

        return run

    # ---- the booking page -------------------------------------------------------------

    def types_nav(chosen: str, embed: bool) -> str:
        kinds = online.online_types(ctx)
        if not kinds:
            return h.alert(
                "No appointments can be booked online just now; please phone the clinic."
            )
        items = "".join(
            f'<li><a href="{h.href("/book", type=k.name, embed="1" if embed else "")}"'
            + (' aria-current="true"' if k.name == chosen else "")
            + f">{h.e(k.name)} ({k.length_minutes} min)</a></li>"
            for k in kinds
        )
        return f'<nav aria-label="Appointment types"><h2>1. Choose the kind of appointment</h2><ul class="types">{items}</ul></nav>'

    def week_grid(
        type_name: str,
        monday: date,
        *,
        embed: bool,
        action: str,
        method: str,
        nav_path: str,
        extra: dict[str, str],
        booked: datetime | None = None,
    ) -> str:
        week = manage.free_starts(ctx, type_name, monday)
        this_monday = week_start(today())
        flag = "1" if embed else ""
        prev_week = monday - timedelta(days=7)
        nav = ['<nav class="weeks" aria-label="Weeks">']
        if prev_week >= this_monday:
            nav.append(
                f'<a href="{h.href(nav_path, type=extra.get("type", ""), week=prev_week.isoformat(), embed=flag)}">Previous week</a>'
            )
        else:
            nav.append('<span aria-disabled="true">Previous week</span>')
        nav.append(
            f'<a href="{h.href(nav_path, type=extra.get("type", ""), week=(monday + timedelta(days=7)).isoformat(), embed=flag)}">Next week</a>'
        )
        nav.append("</nav>")
        days = []
        tz = clinic_zone(week.timezone)
        for day in week.days:
            starts = [from_epoch(s.start).astimezone(tz) for s in day.slots if s.free_doctors > 0]
            starts = [s for s in starts if s > ctx.clock() and s != booked]
            label = h.day_label(datetime(day.day.year, day.day.month, day.day.day))
            if not starts:
                why = week.closed_reasons.get(day.day)
                text = (
                    f"Closed ({why})"
                    if why and why != "closed"
                    else ("Closed" if not day.open else "No free times")
                )
                if day.day < today():
                    text = "Past"
                days.append(
                    f'<section class="day" aria-label="{h.e(label)}"><h3>{h.e(label)}</h3><p class="none">{h.e(text)}</p></section>'
                )
                continue
            fields = {**extra, "embed": flag}
            if method == "post":
                fields["csrf"] = "\x00csrf\x00"
            buttons = "".join(
                f'<button type="submit" name="start" value="{h.e(s.isoformat())}" '
                f'aria-label="{h.e(label)} at {h.e(h.time_label(s))}">{h.e(h.time_label(s))}</button>'
                for s in starts
            )
            days.append(
                f'<section class="day" aria-label="{h.e(label)}"><h3>{h.e(label)}</h3>'
                f'<form method="{method}" action="{h.e(action)}">{h.hidden(fields)}'
                f'<div class="times">{buttons}</div></form></section>'
            )
        heading = f"Free times in the week of {h.day_label(datetime(monday.year, monday.month, monday.day))}"
        return (
            f'<h2 id="week-heading">{h.e(heading)}</h2>'
            + "".join(nav)
            + f'<div class="days" aria-labelledby="week-heading">{"".join(days)}</div>'
        )

    def week_of(text: str | None) -> date:
        if text:
            try:
                wanted = date.fromisoformat(text[:10])
            except ValueError:
                wanted = today()
        else:
            wanted = today()
        return max(week_start(wanted), week_start(today()))

    def details_form(
        type_name: str,
        start: datetime,
        values: dict[str, str],
        errors: dict[str, str],
        *,
        embed: bool,
        alternatives: list[datetime] | None = None,
    ) -> str:
        first_bad = next((f for f in FIELDS if f in errors), None)
        shown = local(start)
        parts = []
        if alternatives is None:
            parts.append(
                f"<h2>2. Your details</h2><p>{h.e(type_name)} on <strong>{h.e(h.day_label(shown))} "
                f"at {h.e(h.time_label(shown))}</strong>. "
                f'<a href="{h.href("/book", type=type_name, week=shown.date().isoformat(), embed="1" if embed else "")}">Choose another time</a></p>'
            )
        fields = {"type": type_name, "csrf": "\x00csrf\x00", "embed": "1" if embed else ""}
        if alternatives is None:
            fields["start"] = start.isoformat()
        form = [f'<form class="details" method="post" action="/book" novalidate>{h.hidden(fields)}']
        if alternatives is not None:
            if alternatives:
                radios = "".join(
                    f'<div><input type="radio" id="alt{i}" name="start" value="{h.e(a.isoformat())}"'
                    + (" checked autofocus" if i == 0 else "")
                    + f'><label for="alt{i}">{h.e(h.day_label(local(a)))} at {h.e(h.time_label(local(a)))}</label></div>'
                    for i, a in enumerate(alternatives)
                )
                form.append(f"<fieldset><legend>The nearest free times</legend>{radios}</fieldset>")
            else:
                form.append(
                    f'<p><a href="{h.href("/book", type=type_name, embed="1" if embed else "")}">See the free times</a></p>'
                )
        for name, options in FIELD_OPTIONS.items():
            form.append(
                h.field(
                    name,
                    LABELS[name],
                    values.get(name, ""),
                    errors.get(name),
                    focus=first_bad == name,
                    **options,
                )
            )
        form.append(
            '<div><button type="submit" class="primary">Book this appointment</button></div></form>'
        )
        return "".join(parts) + "".join(form)

    @guarded
    def book_page(request: Request, *, embed: bool) -> Response:
        query = request.query_params
        type_name = query.get("type", "")[:100]
        kinds = online.online_types(ctx)
        if not type_name and len(kinds) == 1:
            type_name = kinds[0].name
        if type_name:
            try:
                type_name = online.online_type(ctx, type_name).name
            except NotFound:
                return refused(
                    request,
                    "Book an appointment",
                    "That kind of appointment cannot be booked online.",
                    embed=embed,
                    status=404,
                )
        body = types_nav(type_name, embed)
        start_text = query.get("start")
        if type_name and start_text:
            try:
                start = _parse_start(start_text)
            except InvalidRequest as exc:
                return refused(
                    request,
                    "Book an appointment",
                    f"The time {_sentence(exc.reason, lower=True)}",
                    embed=embed,
                    status=422,
                )
            if not manage.is_free(ctx, type_name, start) or start <= ctx.clock():
                return taken(request, type_name, start, {}, embed=embed, status=409)
            body += details_form(type_name, start, {}, {}, embed=embed)
        elif type_name:
            body += week_grid(
                type_name,
                week_of(query.get("week")),
                embed=embed,
                action="/book",
                method="get",
                nav_path="/book",
                extra={"type": type_name},
            )
        return answer(request, "Book an appointment", body, embed=embed)

    def taken(
        request: Request,
        type_name: str,
        start: datetime,
        values: dict[str, str],
        *,
        embed: bool,
        status: int,
    ) -> Response:
        try:
            nearest = [
                s for s in online.nearest_free_starts(ctx, type_name, start) if s > ctx.clock()
            ]
        except MontuError:
            nearest = []
        shown = local(start)
        said = f"Sorry, {h.time_label(shown)} on {h.day_label(shown)} has just been taken." + (
            " The nearest free times are below: choose one and book."
            if nearest
            else " There are no free times close to it."
        )
        body = h.alert(said) + details_form(
            type_name, start, values, {}, embed=embed, alternatives=nearest
        )
        return answer(request, "Book an appointment", body, embed=embed, status=status)

    @app.get("/book/style.css", include_in_schema=False)
    def style() -> Response:
        return Response(h.STYLE, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @app.get("/book", include_in_schema=False, response_class=HTMLResponse)
    def book_get(request: Request) -> Response:
        return book_page(request, embed=request.query_params.get("embed") == "1")

    async def form_of(request: Request) -> dict[str, str] | None:
        raw = await request.body()
        if len(raw) > MAX_FORM_BYTES:
            return None
        parsed = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in parsed.items()}

    def same_origin(request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin or origin == "null":
            return origin is None
        parts = urlsplit(origin)
        return parts.netloc == request.headers.get("host", "")

    def csrf_ok(request: Request, form: dict[str, str]) -> bool:
        return same_origin(request) and guard.valid(
            request.cookies.get(CSRF_COOKIE), form.get("csrf")
        )

    def csrf_refused(request: Request, embed: bool) -> Response:
        return refused(
            request,
            "Please try again",
            "This form has expired or did not come from this booking page "
            "(cookies must be allowed). Nothing was booked or changed; please go back, reload "
            "the page and try again.",
            embed=embed,
            status=403,
        )

    @app.post("/book", include_in_schema=False, response_class=HTMLResponse)
    async def book_post(request: Request) -> Response:
        form = await form_of(request)
        embed = (form or {}).get("embed") == "1"
        if form is None:
            return refused(
                request, "Book an appointment", "The form is too large.", embed=embed, status=413
            )
        if not csrf_ok(request, form):
            return csrf_refused(request, embed)
        return await run_in_threadpool(book_submit, request, form, embed=embed)

    @guarded
    def book_submit(request: Request, form: dict[str, str], *, embed: bool) -> Response:
        values = {f: form.get(f, "")[:600] for f in FIELDS}
        type_name = form.get("type", "")[:100]
        try:
            type_name = online.online_type(ctx, type_name).name
            start = _parse_start(form.get("start", ""))
        except InvalidRequest as exc:
            if exc.field == "start" and type_name:
                body = h.alert("Please choose a time.") + details_form(
                    type_name,
                    ctx.clock(),
                    values,
                    {},
                    embed=embed,
                    alternatives=[],
                )
                return answer(request, "Book an appointment", body, embed=embed, status=422)
            return refused(
                request,
                "Book an appointment",
                "That kind of appointment cannot be booked online.",
                embed=embed,
                status=422,
            )
        errors = field_problems(values)
        if errors:
            return form_with_errors(request, type_name, start, values, errors, embed=embed)
        details = PatientDetails(
            values["given"],
            values["family"],
            parse_birth_date(values["dob"]),
            values["phone"].strip() or None,
            values["email"].strip() or None,
        )
        try:
            made = online.book_online(
                ctx, manage.page_key(ctx), type_name, start, details, values["note"].strip() or None
            )
        except SlotTaken:
            return taken(request, type_name, start, values, embed=embed, status=409)
        except PatientDoubleBooked:
            return form_with_errors(
                request,
                type_name,
                start,
                values,
                {},
                top="You already have an appointment at that time. Please choose another time or phone the clinic.",
                embed=embed,
            )
        except InvalidRequest as exc:
            name = FROM_RULES.get(exc.field.removeprefix("patient."))
            if name:
                return form_with_errors(
                    request,
                    type_name,
                    start,
                    values,
                    {name: _message(name, exc.reason)},
                    embed=embed,
                )
            return form_with_errors(
                request, type_name, start, values, {}, top=f"The time {exc.reason}.", embed=embed
            )
        flag = "&embed=1" if embed else ""
        response = RedirectResponse(f"/manage/{made.cancel_token}?booked=1{flag}", status_code=303)
        _headers(response, frame_ancestors(embed))
        return response

    def field_problems(values: dict[str, str]) -> dict[str, str]:
        typed = {
            "given_name": values["given"],
            "family_name": values["family"],
            "date_of_birth": values["dob"],
            "phone": values["phone"],
            "email": values["email"],
        }
        errors: dict[str, str] = {}
        for problem in typed_patient_problems(typed, today()):
            name = FROM_RULES[problem.field]
            errors.setdefault(name, _message(name, problem.reason))
        if not values["dob"].strip():
            errors.setdefault("dob", _message("dob", "is required"))
        if not values["phone"].strip() and not values["email"].strip():
            errors.setdefault("phone", "Give a mobile number or an email address")
        if len(values["note"]) > rules.MAX_NOTE:
            errors.setdefault(
                "note", _message("note", f"must be at most {rules.MAX_NOTE} characters")
            )
        return errors

    def form_with_errors(
        request: Request,
        type_name: str,
        start: datetime,
        values: dict[str, str],
        errors: dict[str, str],
        *,
        embed: bool,
        top: str = "",
    ) -> Response:
        lines = [f'<a href="#{f}">{h.e(errors[f])}</a>' for f in FIELDS if f in errors]
        heading = top or ("Please check the details below." if errors else "")
        body = h.alert(heading, lines) + details_form(type_name, start, values, errors, embed=embed)
        return answer(request, "Book an appointment", body, embed=embed, status=422)

    # ---- manage my booking ------------------------------------------------------------

    def booking_facts(found: manage.ManagedBooking) -> str:
        shown = local(found.start)
        place = manage.clinic(ctx)
        where = ", ".join(p for p in (place.name, place.address) if p)
        rows = [
            ("Day", h.day_label(shown)),
            ("Time", h.time_label(shown)),
            ("Doctor", found.doctor_name),
            ("Appointment", found.type_name),
            ("Where", where),
        ]
        if place.phone:
            rows.append(("Clinic phone", place.phone))
        return (
            '<dl class="facts">'
            + "".join(f"<dt>{h.e(k)}</dt><dd>{h.e(v)}</dd>" for k, v in rows)
            + "</dl>"
        )

    def link_gone(request: Request, exc: InvalidRequest, *, embed: bool) -> Response:
        if isinstance(exc, NotFound):
            return refused(
                request,
                "Your booking",
                "This link is not valid. Please check it, or phone the clinic.",
                embed=embed,
                status=404,
            )
        return refused(request, "Your booking", _sentence(exc.reason), embed=embed, status=410)

    def manage_body(
        request: Request,
        found: manage.ManagedBooking,
        token: str,
        *,
        embed: bool,
        week: date,
        top: str = "",
        open_move: bool = False,
    ) -> str:
        link = manage.manage_link(ctx, token)
        if link.startswith("/"):  # online.public_url not set: this server's own address
            link = str(request.base_url).rstrip("/") + link
        body = top + booking_facts(found)
        body += (
            "<h2>Change or cancel</h2><p>Keep this link to change or cancel your appointment: "
            # Inside the clinic's site the link stays framable (the plain page is not).
            f'<a class="link" href="{h.e(link + ("?embed=1" if embed else ""))}">{h.e(link)}</a></p>'
        )
        if not found.changeable:
            hours = int(online.cancel_notice(ctx).total_seconds() // 3600)
            return body + h.alert(
                f"It is less than {hours} hours to your appointment, so it can no longer be "
                "changed or cancelled online. Please phone the clinic."
            )
        fields = {"csrf": "\x00csrf\x00", "embed": "1" if embed else ""}
        body += (
            f'<form method="post" action="/manage/{h.e(token)}/cancel">{h.hidden(fields)}'
            '<button type="submit" class="danger">Cancel this appointment</button></form>'
        )
        grid = week_grid(
            found.type_name,
            week,
            embed=embed,
            action=f"/manage/{token}/move",
            method="post",
            nav_path=f"/manage/{token}",
            extra={},
            booked=found.start,
        )
        # A disclosure that opens without script: the week stays out of the way until asked.
        return (
            body + f"<details{' open' if open_move else ''}><summary><h2>"
            "Move it to another time</h2></summary>" + grid + "</details>"
        )

    @guarded
    def manage_page(request: Request, token: str, *, embed: bool) -> Response:
        try:
            found = manage.live(ctx, token)
        except InvalidRequest as exc:
            return link_gone(request, exc, embed=embed)
        booked = request.query_params.get("booked") == "1"
        top = h.status("Your appointment is booked.") if booked else ""
        title = "Booking confirmed" if booked else "Your booking"
        body = manage_body(
            request,
            found,
            token,
            embed=embed,
            week=week_of(request.query_params.get("week") or local(found.start).date().isoformat()),
            top=top,
            open_move=bool(request.query_params.get("week")),
        )
        response = answer(request, title, body, embed=embed)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/manage/{token}", include_in_schema=False, response_class=HTMLResponse)
    def manage_get(request: Request, token: str) -> Response:
        return manage_page(request, token[:300], embed=request.query_params.get("embed") == "1")

    @app.post("/manage/{token}/cancel", include_in_schema=False, response_class=HTMLResponse)
    async def manage_cancel(request: Request, token: str) -> Response:
        form = await form_of(request) or {}
        embed = form.get("embed") == "1"
        if not csrf_ok(request, form):
            return csrf_refused(request, embed)
        return await run_in_threadpool(cancel_submit, request, token[:300], embed=embed)

    @guarded
    def cancel_submit(request: Request, token: str, *, embed: bool) -> Response:
        try:
            found = manage.cancel(ctx, token)
        except manage.TooLate:
            return manage_refusal(
                request,
                token,
                "It is too close to your appointment to cancel online. Please phone the clinic.",
                embed=embed,
            )
        except InvalidRequest as exc:
            return link_gone(request, exc, embed=embed)
        shown = local(found.start)
        body = (
            h.status(
                f"Your appointment on {h.day_label(shown)} at {h.time_label(shown)} is cancelled."
            )
            + f'<p><a href="{h.href("/book", embed="1" if embed else "")}">Book another appointment</a></p>'
        )
        return answer(request, "Cancelled", body, embed=embed)

    def manage_refusal(
        request: Request, token: str, text: str, *, embed: bool, status: int = 409
    ) -> Response:
        try:
            found = manage.live(ctx, token)
        except InvalidRequest as exc:
            return link_gone(request, exc, embed=embed)
        body = manage_body(
            request,
            found,
            token,
            embed=embed,
            week=week_of(local(found.start).date().isoformat()),
            top=h.alert(text),
            open_move=True,
        )
        return answer(request, "Your booking", body, embed=embed, status=status)

    @app.post("/manage/{token}/move", include_in_schema=False, response_class=HTMLResponse)
    async def manage_move(request: Request, token: str) -> Response:
        form = await form_of(request) or {}
        embed = form.get("embed") == "1"
        if not csrf_ok(request, form):
            return csrf_refused(request, embed)
        return await run_in_threadpool(
            move_submit, request, token[:300], form.get("start", ""), embed=embed
        )

    @guarded
    def move_submit(request: Request, token: str, start_text: str, *, embed: bool) -> Response:
        try:
            start = _parse_start(start_text)
            moved = manage.move(ctx, token, start)
        except manage.TooLate:
            return manage_refusal(
                request,
                token,
                "It is too close to your appointment to move it online. Please phone the clinic.",
                embed=embed,
            )
        except (manage.LinkUsed, NotFound) as exc:
            return link_gone(request, exc, embed=embed)
        except SlotTaken:
            return manage_refusal(
                request,
                token,
                "Sorry, that time has just been taken. Please choose another.",
                embed=embed,
            )
        except InvalidRequest as exc:
            return manage_refusal(
                request,
                token,
                f"That time cannot be booked: {exc.reason}.",
                embed=embed,
                status=422,
            )
        shown = local(moved.start)
        found = manage.live(ctx, token)
        body = manage_body(
            request,
            found,
            token,
            embed=embed,
            week=week_start(shown.date()),
            top=h.status(
                f"Your appointment has moved to {h.day_label(shown)} at {h.time_label(shown)}."
            ),
        )
        return answer(request, "Your booking", body, embed=embed)


def loggable_path(path: str) -> str:
    """The path as logged: a manage link's token is a secret, so it never reaches a log."""
    if path.startswith("/manage/"):
        rest = path[len("/manage/") :]
        action = rest.partition("/")[2]
        return "/manage/…" + (f"/{action}" if action else "")
    return path


def _message(name: str, reason: str) -> str:
    return f"{LABELS[name]} {reason}"


def _sentence(text: str, *, lower: bool = False) -> str:
    text = text.strip()
    if not text:
        return text
    first = text[0].lower() if lower else text[0].upper()
    return first + text[1:] + ("" if text.endswith(".") else ".")


def _headers(response: Response, ancestors: str) -> None:
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        f"base-uri 'none'; frame-ancestors {ancestors}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Pages may carry a manage link or a patient's details: kept by no cache.
    response.headers["Cache-Control"] = "no-store"
    # The manage link is a secret: never sent on to another site. (Not no-referrer: with
    # it the browser's own form posts say `Origin: null`, which the CSRF check refuses.)
    response.headers["Referrer-Policy"] = "same-origin"
