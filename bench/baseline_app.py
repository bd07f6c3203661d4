"""The named baseline for page throughput: a bare Litestar app answering a fixed page.

Our pages are compared with it in the same run, so the figure says what our middleware,
templates, CSRF, i18n and compression cost on this machine, not how fast the machine is.
"""

from litestar import Litestar, MediaType, get

PAGE = "<!doctype html><html lang=zh-CN><title>网格安全通</title><h1>网格安全通</h1></html>"


@get("/", media_type=MediaType.HTML)
async def index() -> str:
    return PAGE


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create() -> Litestar:
    return Litestar(route_handlers=[index, healthz], openapi_config=None)
