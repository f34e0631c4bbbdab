"""A Celery task for tests of the side-effect seam: it records the ids it was given."""

from celery import shared_task

touched: list[str] = []


@shared_task(name="tests.lead_touch")
def lead_touch(lead_id: str) -> None:
    touched.append(lead_id)
