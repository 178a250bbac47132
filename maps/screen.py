"""The leaders' overview (大屏, /maps/screen): the page shell for the 指挥中心 wall. What it shows comes from the
overview and heatmap APIs (screen.js), so the shell carries only the region, its extent and the window."""

from __future__ import annotations

from maps.templating import PageUser, render


def screen_page(*, user: PageUser, region: str | None, region_name: str, bounds: list[list[float]],
                days: int) -> str:
    config = {"region": region or "", "bounds": bounds, "days": days, "refresh_s": 60}
    return render("screen/overview.html", user=user, active="/maps/screen", region_name=region_name, config=config)
