from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle as DrfScopedRateThrottle


class ScopedRateThrottle(DrfScopedRateThrottle):
    """DRF's scoped throttle (per user, else per client IP, on the shared cache),
    reading its rate when asked, so a changed setting takes effect without a restart
    of the import (DRF binds the rates once, at import)."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
