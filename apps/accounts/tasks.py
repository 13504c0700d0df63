from celery import shared_task

from . import services


@shared_task(name="apps.accounts.tasks.auth_tokens_flush_expired_task")
def auth_tokens_flush_expired_task() -> int:
    return services.auth_tokens_flush_expired()
