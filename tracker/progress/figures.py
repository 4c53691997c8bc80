"""The progress page's charts, built from gathered data (tracker.progress.data)."""

from __future__ import annotations

from datetime import date

from markupsafe import Markup

from tracker import dates
from tracker.measures.services import ScoredResponse
from tracker.progress import charts
from tracker.progress.data import Progress, Row


def _span(progress: Progress, dates: list[date]) -> tuple[date, date]:
    known = [*dates, *(s.starts_at.date() for s in progress.sessions)]
    if progress.course is not None:  # From the course's start, or the window's.
        known.append(progress.since or progress.course.start_date)
    if not known:
        return progress.today, progress.today
    return min(known), max(known)


def dosing_markers(progress: Progress) -> list[charts.Marker]:
    return [charts.Marker(when=s.starts_at.date(), label=f"Dose {progress.numbers[s.id]}")
            for s in progress.dosing_sessions]


def at_home(item: ScoredResponse) -> bool:
    return item.response.source == "home"


def measure_chart(progress: Progress, code: str, items: list[ScoredResponse]) -> Markup:
    """The chart of scored questionnaires `items` (never partial answers). The response and
    remission lines are drawn only where the baseline qualifies for them."""
    instrument = items[0].instrument
    baseline = items[0].baseline.total
    start, end = _span(progress, [i.response.taken_on for i in items])
    thresholds = []
    if items[0].change.remission is not None:
        thresholds.append(charts.Threshold(value=4.5, label="Remission: below 5",
                                           key="remission"))
    if baseline and items[0].change.baseline_qualifies:
        thresholds.append(charts.Threshold(value=baseline / 2,
                                           label="Response: half of baseline",
                                           key="response"))
    points = [charts.Point(when=i.response.taken_on, value=i.score.total,
                           label=f"{i.score.total}" + (", patient-reported, at home" if at_home(i)
                                                       else ""),
                           style="home" if at_home(i) else "") for i in items]
    home = sum(1 for i in items if at_home(i))
    latest = items[-1]
    status = []
    if latest.change.response:
        status.append("response reached")
    if latest.change.remission:
        status.append("in remission")
    description = (
        f"{instrument.name} total score from {points[0].value:.0f} on "
        f"{dates.show(items[0].response.taken_on, 'short')} to {latest.score.total} on "
        f"{dates.show(latest.response.taken_on, 'short')}"
        + (f" ({', '.join(status)})" if status else "")
        + (f"; {home} answered at home by the patient (patient-reported), drawn as hollow "
           "diamonds" if home else "")
        + f"; {len(progress.dosing_sessions)} dosing sessions marked. The same numbers are "
        "in the table below.")
    return charts.line_chart(
        chart_id=f"chart-{code}", title=f"{instrument.name} over time",
        description=description,
        series=[charts.Series(name=f"{instrument.name} total", points=points, key="score")],
        y_min=0, y_max=instrument.max_total, start=start, end=end,
        bands=[charts.Band(low=b.low, high=b.high, label=b.label, key=b.key)
               for b in instrument.bands],
        markers=dosing_markers(progress), thresholds=thresholds, y_label="Score")


def belief_chart(progress: Progress, row: Row) -> Markup:
    belief = row.record
    by_session = {s.id: s for s in progress.sessions}
    ratings = sorted(((by_session[sid], r) for sid, r in row.cells.items() if sid in by_session),
                     key=lambda pair: pair[0].starts_at)
    old = [charts.Point(when=s.starts_at.date(), value=r.old_conviction) for s, r in ratings]
    new = [charts.Point(when=s.starts_at.date(), value=r.new_conviction) for s, r in ratings]
    start, end = _span(progress, [])
    last = ratings[-1][1] if ratings else None
    description = (f"Conviction in the old belief “{belief.old_belief}” and the new belief "
                   f"“{belief.new_belief}”, 0 to 100, over {len(ratings)} ratings"
                   + (f"; last rated old {last.old_conviction}, new {last.new_conviction}"
                      if last is not None else "") + ".")
    return charts.small_multiple(
        chart_id=f"belief-{belief.id}", title=f"“{belief.new_belief}”",
        description=description,
        series=[charts.Series(name="Old belief", points=old, key="old"),
                charts.Series(name="New belief", points=new, key="new")],
        start=start, end=end, markers=dosing_markers(progress), y_label="Conviction")
