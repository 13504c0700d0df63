"""The coupon event page, `/event/<coupon id>/`: a Django template with plain
JavaScript (static/coupons/event.js) that talks to the public API only."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from apps.core.errors import NotFound

from . import selectors


@require_safe
def coupon_event_page(request: HttpRequest, coupon_id: int) -> HttpResponse:
    try:
        coupon = selectors.coupon_get(coupon_id=coupon_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    config = {
        "couponId": coupon.pk,
        "couponUrl": reverse("coupons:detail", args=[coupon.pk]),
        "issueUrl": reverse("coupons:issue", args=[coupon.pk]),
        "myCouponsUrl": reverse("coupons:mine") + f"?coupon_id={coupon.pk}",
        "tokenUrl": reverse("accounts:token"),
        "signupUrl": reverse("accounts:signup"),
        "pollSeconds": 2,
    }
    return render(request, "coupons/event.html", {"coupon": coupon, "config": config})
