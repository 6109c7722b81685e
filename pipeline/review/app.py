"""The review app: FastAPI + Jinja2 (autoescaped) + htmx (vendored static file). `create_app(cfg)`; served by
`matlit review serve` (uvicorn, 127.0.0.1 by default).

Routes (all but /login and /static need a session: HTML pages redirect to /login, /api/* and htmx requests get 401;
every POST needs the session's CSRF token, else 403):
    GET  /login, POST /login, POST /logout
    GET  /queue                    the queue (filters: property, flag, paper, min_score, max_score, status; keyset pages)
    GET  /queue/rows               the rows fragment (htmx)
    GET  /record/{id}              one record: page image + evidence boxes, context, edit form, score, flags, other
                                   sources of the same fact, its audit history; keys a/r/e/j/k and /
    POST /record/{id}/decide       accept | edit | reject (form); a stale version -> 409 with the reason, nothing lost
    GET  /page/{paper_id}/{n}.png  page image (404 for unknown papers, pages, traversal or papers the user may not see)
    GET  /audit                    the audit log (admin)
    GET  /api/queue, GET /api/record/{id}, POST /api/record/{id}/decide (JSON; header X-CSRF-Token)
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from sqlalchemy import select

from pipeline.review import auth, service
from pipeline.review.decisions import EDITABLE, REJECT_REASONS
from pipeline.review.pages import PageNotFound, page_png
from pipeline.review.store import audit, db_url_for, get_engine
from pipeline.workdir import WorkDir
from schemas import Record

HERE = Path(__file__).resolve().parent
COOKIE = "matlit_session"
LOGIN_CSRF_COOKIE = "matlit_login_csrf"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


class NotAuthenticated(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(Exception):
    def __init__(self, message: str = "not found"):
        super().__init__(message)
        self.message = message


def _float(v: str | None) -> float | None:
    try:
        return float(v) if v not in (None, "") else None
    except ValueError:
        return None


def filters_from(request: Request) -> service.Filters:
    q = request.query_params
    status = q.get("status", "open")
    return service.Filters(
        property=q.get("property", "")[:128], flag=q.get("flag", "")[:128], paper=q.get("paper", "")[:128],
        min_score=_float(q.get("min_score")), max_score=_float(q.get("max_score")),
        status=status if status in service.STATUSES else "open")


def create_app(cfg) -> FastAPI:
    from schemas.vocab import load_vocabulary

    rc = cfg.review
    wd = WorkDir(cfg.work_dir)
    engine = get_engine(db_url_for(cfg))
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    env.filters["tojson_attr"] = lambda v: json.dumps(v)
    vocab = load_vocabulary()
    property_ids = sorted(p.id for ps in vocab.by_category().values() for p in ps)

    app = FastAPI(title="matlit review", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.engine = engine

    def render(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
        html = env.get_template(name).render(request=request, reasons=REJECT_REASONS, **ctx)
        return HTMLResponse(html, status_code=status)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        resp = await call_next(request)
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @app.exception_handler(NotAuthenticated)
    async def _unauth(request: Request, exc: NotAuthenticated):
        if request.url.path.startswith("/api/") or request.headers.get("HX-Request"):
            return JSONResponse({"error": "not logged in"}, status_code=401, headers={"HX-Redirect": "/login"})
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": nxt}), status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.message}, status_code=403)
        return render(request, "error.html", status=403, title="Forbidden", message=exc.message, user=None)

    @app.exception_handler(NotFound)
    async def _notfound(request: Request, exc: NotFound):
        if request.url.path.startswith(("/api/", "/page/")):
            return JSONResponse({"error": exc.message}, status_code=404)
        return render(request, "error.html", status=404, title="Not found", message=exc.message, user=None)

    @app.exception_handler(service.DecisionError)
    async def _bad(request: Request, exc: service.DecisionError):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=400)
        return render(request, "error.html", status=400, title="Not saved", message=str(exc), user=None)

    def user_of(request: Request) -> auth.User:
        user = auth.session_user(engine, request.cookies.get(COOKIE))
        if user is None:
            raise NotAuthenticated()
        return user

    async def writer(request: Request) -> tuple[auth.User, dict]:
        """The user of a write request, its form (or JSON body), after the CSRF check."""
        user = user_of(request)
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                data = await request.json()
            except ValueError:
                data = None
            if not isinstance(data, dict):
                raise service.DecisionError("body must be a JSON object")
        else:
            data = dict(await request.form())
        token = request.headers.get("X-CSRF-Token") or data.get("csrf_token")
        if not auth.csrf_ok(user, token):
            raise Forbidden("missing or wrong CSRF token: reload the page and try again")
        return user, data

    def client_address(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    # ---------------------------------------------------------------------------------------------- login

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/queue", error: str = ""):
        import secrets

        token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
        resp = render(request, "login.html", next=_safe_next(next), error=error, login_csrf=token, user=None)
        resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=rc.secure_cookies)
        return resp

    @app.post("/login")
    async def login_post(request: Request):
        form = await request.form()
        cookie_tok = request.cookies.get(LOGIN_CSRF_COOKIE)
        if not cookie_tok or not auth.hmac.compare_digest(cookie_tok, str(form.get("csrf_token", ""))):
            raise Forbidden("missing or wrong CSRF token on the login form: reload the page")
        nxt = _safe_next(str(form.get("next", "/queue")))
        try:
            token = auth.login(engine, str(form.get("username", "")), str(form.get("password", "")),
                               client_address(request), rc.login_max_failures, rc.login_window_s, rc.session_hours)
        except auth.RateLimited as e:
            resp = render(request, "login.html", status=429, next=nxt, error=str(e), login_csrf=cookie_tok, user=None)
            resp.headers["Retry-After"] = str(e.retry_after)
            return resp
        if token is None:
            return render(request, "login.html", status=401, next=nxt, error="wrong user name or password",
                          login_csrf=cookie_tok, user=None)
        resp = RedirectResponse(nxt, status_code=303)
        resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=rc.secure_cookies,
                        max_age=int(rc.session_hours * 3600))
        return resp

    @app.post("/logout")
    async def logout(request: Request):
        await writer(request)
        auth.logout(engine, request.cookies.get(COOKIE, ""))
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE)
        return resp

    # ---------------------------------------------------------------------------------------------- queue

    @app.get("/")
    def root(request: Request):
        user_of(request)
        return RedirectResponse("/queue", status_code=303)

    def _queue_ctx(request: Request, user: auth.User) -> dict:
        f = filters_from(request)
        with engine.connect() as c:
            page = service.queue_page(c, user, f, request.query_params.get("after"), rc.page_size)
        return {"page": page, "filters": f, "fq": urlencode(f.query()), "user": user, "property_ids": property_ids}

    @app.get("/queue", response_class=HTMLResponse)
    def queue(request: Request):
        user = user_of(request)
        return render(request, "queue.html", **_queue_ctx(request, user))

    @app.get("/queue/rows", response_class=HTMLResponse)
    def queue_rows(request: Request):
        user = user_of(request)
        return render(request, "_rows.html", **_queue_ctx(request, user))

    @app.get("/api/queue")
    def api_queue(request: Request):
        user = user_of(request)
        ctx = _queue_ctx(request, user)
        p = ctx["page"]
        return {"total": p.total, "next_after": p.next_after, "items": [
            {k: r[k] for k in ("record_id", "paper_id", "priority", "score", "property_id", "material", "status")}
            | {"flags": r["flag_list"], "reasons": r["reason_list"]} for r in p.rows]}

    # ---------------------------------------------------------------------------------------------- record

    def _record_ctx(request: Request, user: auth.User, record_id: str) -> dict:
        f = filters_from(request)
        with engine.connect() as c:
            item = service.get_item(c, user, record_id)
            if item is None:
                raise NotFound(f"no record {record_id} (or not one of your papers)")
            record = Record.model_validate_json(item["record_json"])
            decision = service.latest_decision(c, record_id)
            prv, nxt = service.neighbours(c, user, f, item)
            paper = service.paper_row(c, item["paper_id"]) or {}
            others = service.other_sources(c, user, item, record)
            hist = service.history(c, record_id)
        effective = service.effective_record(record, decision)
        sizes = json.loads(paper.get("page_sizes") or "[]")
        boxes, page_no = [], None
        for p in record.evidence.prov:
            if page_no is None:
                page_no = p.page
            if p.page == page_no and p.bbox is not None and 0 < p.page <= len(sizes):
                w, h = sizes[p.page - 1]
                boxes.append({"left": 100 * p.bbox.x0 / w, "top": 100 * p.bbox.y0 / h,
                              "width": 100 * p.bbox.width / w, "height": 100 * p.bbox.height / h})
        return {"item": item, "record": record, "effective": effective, "decision": decision, "prev_id": prv,
                "next_id": nxt, "paper": paper, "others": others, "history": hist, "boxes": boxes, "page_no": page_no,
                "context": json.loads(item["context_json"] or "{}"), "filters": f, "fq": urlencode(f.query()),
                "user": user, "property_ids": property_ids, "flags": record.flags,
                "reasons_queued": json.loads(item["reasons"] or "[]")}

    @app.get("/record/{record_id}", response_class=HTMLResponse)
    def record_page(request: Request, record_id: str):
        user = user_of(request)
        return render(request, "record.html", **_record_ctx(request, user, record_id))

    @app.get("/next", response_class=HTMLResponse)
    def first(request: Request):
        user = user_of(request)
        f = filters_from(request)
        with engine.connect() as c:
            rid = service.first_in_queue(c, user, f)
        fq = urlencode(f.query())
        return RedirectResponse(f"/record/{rid}?{fq}" if rid else f"/queue?{fq}", status_code=303)

    @app.get("/api/record/{record_id}")
    def api_record(request: Request, record_id: str):
        user = user_of(request)
        ctx = _record_ctx(request, user, record_id)
        return {"record": json.loads(ctx["record"].model_dump_json()), "status": ctx["item"]["status"],
                "version": ctx["item"]["version"], "effective": json.loads(ctx["effective"].model_dump_json()),
                "other_sources": ctx["others"]}

    def _decide(user: auth.User, record_id: str, data: dict, form: bool):
        try:
            version = int(data.get("version", ""))
        except (TypeError, ValueError) as e:
            raise service.DecisionError("the version of the record you saw is missing") from e
        action = str(data.get("action", ""))
        reason = data.get("reason") or None
        patch: dict[str, str] = {}
        if action == "edit":
            with engine.connect() as c:
                item = service.get_item(c, user, record_id)
            if item is None:
                raise NotFound(f"no record {record_id} (or not one of your papers)")
            record = Record.model_validate_json(item["record_json"])
            if form:
                patch = service.patch_from_form(record, {k: str(v) for k, v in data.items() if k in EDITABLE})
            else:
                patch = data.get("patch") or {}
                if not isinstance(patch, dict) or not all(isinstance(v, str) for v in patch.values()):
                    raise service.DecisionError("patch must map field paths to JSON-encoded strings")
        res = service.decide(engine, user, record_id, version, action, reason, patch)
        if res is None:
            raise NotFound(f"no record {record_id} (or not one of your papers)")
        return res

    @app.post("/record/{record_id}/decide")
    async def decide_form(request: Request, record_id: str):
        user, data = await writer(request)
        res = _decide(user, record_id, data, form=True)
        f = filters_from(request)
        fq = urlencode(f.query())
        if not res.ok:
            ctx = _record_ctx(request, user, record_id)
            return render(request, "record.html", status=409, conflict=res.message,
                          attempted={k: v for k, v in data.items() if k != "csrf_token"}, **ctx)
        nxt = str(data.get("next_id") or "")
        target = f"/record/{nxt}?{fq}" if nxt and len(nxt) <= 64 and nxt.isalnum() else f"/next?{fq}"
        return RedirectResponse(target, status_code=303)

    @app.post("/api/record/{record_id}/decide")
    async def decide_api(request: Request, record_id: str):
        user, data = await writer(request)
        res = _decide(user, record_id, data, form=False)
        if not res.ok:
            return JSONResponse({"error": res.message, "version": res.version, "current_by": res.current_by},
                                status_code=409)
        return {"ok": True, "version": res.version}

    # ---------------------------------------------------------------------------------------------- pages, audit

    @app.get("/page/{paper_id}/{page_name}")
    def page_image(request: Request, paper_id: str, page_name: str):
        user = user_of(request)
        if not page_name.endswith(".png") or not page_name[:-4].isdigit() or not user.can_see(paper_id):
            raise NotFound("no such page")
        with engine.connect() as c:
            if service.paper_row(c, paper_id) is None:
                raise NotFound("no such page")
        try:
            path = page_png(wd, paper_id, int(page_name[:-4]), rc.page_dpi)
        except PageNotFound as e:
            raise NotFound(str(e)) from e
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/audit", response_class=HTMLResponse)
    def audit_page(request: Request, before: int | None = None):
        user = user_of(request)
        if not user.is_admin:
            raise Forbidden("the full audit log is for admins; each record page shows its own history")
        q = select(audit).order_by(audit.c.id.desc()).limit(200)
        if before:
            q = q.where(audit.c.id < before)
        with engine.connect() as c:
            rows = [dict(r) for r in c.execute(q).mappings()]
        return render(request, "audit.html", rows=rows, user=user)

    @app.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    return app


def _safe_next(nxt: str) -> str:
    """Only local paths: no scheme, no host, no '//' (open redirect)."""
    if not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt or "\n" in nxt or "\r" in nxt:
        return "/queue"
    return nxt
