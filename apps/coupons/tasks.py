from celery import shared_task

from . import services


@shared_task(name="apps.coupons.tasks.coupon_issues_expire_due_task")
def coupon_issues_expire_due_task() -> int:
    return services.coupon_issues_expire_due()
