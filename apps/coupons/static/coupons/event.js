// The coupon event page: live remaining count, log in (the JWT is kept in this
// script's memory only: no cookie, no storage), sign up, claim. Plain JS, no
// build step; it calls the same public API as every other client.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("event-config").textContent);
  var accessToken = null; // in memory only
  var email = null;
  var pendingKey = null; // reused when a claim's answer was lost, so a retry is a replay

  function $(id) { return document.getElementById(id); }

  function api(method, url, body, extraHeaders) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (accessToken) headers["Authorization"] = "Bearer " + accessToken;
    Object.keys(extraHeaders || {}).forEach(function (name) { headers[name] = extraHeaders[name]; });
    return fetch(url, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store"
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: response.status, data: data };
      });
    });
  }

  function errorOf(answer) {
    var error = answer.data && answer.data.error;
    return error || { code: "error", message: "Unexpected answer (HTTP " + answer.status + ").", details: null };
  }

  function fieldErrors(error) {
    if (!error.details || typeof error.details !== "object") return error.message;
    var parts = [];
    Object.keys(error.details).forEach(function (field) {
      var messages = error.details[field];
      parts.push((field === "non_field_errors" ? "" : field + ": ") + [].concat(messages).join(" "));
    });
    return parts.join(" ") || error.message;
  }

  function randomKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // --- the coupon and its live remaining count ----------------------------------

  var coupon = null;

  function windowState(now) {
    if (!coupon) return "open";
    if (now < Date.parse(coupon.starts_at)) return "not_started";
    if (now >= Date.parse(coupon.ends_at)) return "ended";
    return "open";
  }

  function showCoupon() {
    $("remaining").textContent = String(coupon.remaining);
    $("total").textContent = String(coupon.total_quantity);
    var state = windowState(Date.now());
    var text = {
      not_started: "Not started yet",
      ended: "This drop has ended",
      open: coupon.remaining > 0 ? "Open now" : "Sold out"
    }[state];
    $("window-state").textContent = text;
    $("window-state").dataset.state = state === "open" && coupon.remaining <= 0 ? "sold_out" : state;
  }

  function poll() {
    api("GET", config.couponUrl).then(function (answer) {
      if (answer.status === 200) {
        coupon = answer.data;
        showCoupon();
      }
    }).catch(function () { /* offline for a moment: keep the last count */ })
      .then(function () { window.setTimeout(poll, config.pollSeconds * 1000); });
  }

  // --- account --------------------------------------------------------------------

  function setAccountError(text) { $("account-error").textContent = text || ""; }

  function loggedIn(address, token) {
    accessToken = token;
    email = address;
    $("login-form").hidden = true;
    $("signup-form").hidden = true;
    $("account-state").textContent = "Logged in as " + address;
    setAccountError("");
    $("claim-button").disabled = false;
    showHeldCoupon();
  }

  function loggedOut(reason) {
    accessToken = null;
    email = null;
    $("login-form").hidden = false;
    $("signup-form").hidden = true;
    $("account-state").textContent = "";
    setAccountError(reason || "");
    $("claim-button").disabled = true;
  }

  function logIn(address, password) {
    return api("POST", config.tokenUrl, { email: address, password: password }).then(function (answer) {
      if (answer.status === 200 && answer.data && answer.data.access) {
        loggedIn(address, answer.data.access);
      } else {
        var error = errorOf(answer);
        setAccountError(answer.status === 401 ? "Wrong email or password." : fieldErrors(error));
      }
    }).catch(function () { setAccountError("Network error: try again."); });
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    logIn($("login-email").value.trim(), $("login-password").value);
  });

  $("signup-link").addEventListener("click", function (event) {
    event.preventDefault();
    $("login-form").hidden = true;
    $("signup-form").hidden = false;
    setAccountError("");
  });

  $("login-link").addEventListener("click", function (event) {
    event.preventDefault();
    $("signup-form").hidden = true;
    $("login-form").hidden = false;
    setAccountError("");
  });

  $("signup-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var address = $("signup-email").value.trim();
    var password = $("signup-password").value;
    api("POST", config.signupUrl, {
      email: address, password: password, password_confirm: $("signup-password-confirm").value
    }).then(function (answer) {
      if (answer.status === 201) return logIn(address, password);
      setAccountError(fieldErrors(errorOf(answer)));
    }).catch(function () { setAccountError("Network error: try again."); });
  });

  // --- claiming ---------------------------------------------------------------------

  function showResult(state, text, code) {
    var result = $("result");
    result.dataset.state = state;
    result.textContent = text;
    if (code) {
      var span = document.createElement("span");
      span.className = "code";
      span.id = "issued-code";
      span.textContent = code;
      result.appendChild(span);
    }
  }

  function showHeldCoupon(fallbackState, fallbackText) {
    // A returning user sees the code they already hold.
    return api("GET", config.myCouponsUrl).then(function (answer) {
      var held = answer.status === 200 && answer.data.results.length ? answer.data.results[0] : null;
      if (held) {
        showResult(fallbackState || "held", fallbackText || "You hold this coupon (" + held.status + "):", held.code);
      } else if (fallbackState) {
        showResult(fallbackState, fallbackText);
      }
    }).catch(function () {
      if (fallbackState) showResult(fallbackState, fallbackText);
    });
  }

  var REFUSALS = {
    sold_out: "Sold out: every coupon of this drop has been claimed.",
    already_issued: "You already hold this coupon:",
    not_started: "Not started yet: come back when the drop opens.",
    ended: "This drop has ended."
  };

  $("claim-button").addEventListener("click", function () {
    var button = $("claim-button");
    button.disabled = true;
    pendingKey = pendingKey || randomKey();
    showResult("pending", "Claiming…");
    api("POST", config.issueUrl, undefined, { "Idempotency-Key": pendingKey }).then(function (answer) {
      pendingKey = null;
      if (answer.status === 201) {
        showResult("issued", "Your coupon code:", answer.data.code);
        if (answer.data.coupon) { coupon = answer.data.coupon; showCoupon(); }
        return;
      }
      if (answer.status === 401) {
        loggedOut("Your session has expired: log in again.");
        showResult("error", "Log in again to claim.");
        return;
      }
      var error = errorOf(answer);
      var reason = error.code === "coupon_not_active" && error.details ? error.details.reason : error.code;
      if (reason === "already_issued") {
        return showHeldCoupon("already_issued", REFUSALS.already_issued);
      }
      showResult(REFUSALS[reason] ? reason : "error", REFUSALS[reason] || error.message);
    }).catch(function () {
      // The answer was lost: the same Idempotency-Key makes the retry safe.
      showResult("error", "Network error: press again to retry.");
    }).then(function () {
      button.disabled = accessToken === null;
    });
  });

  poll();
})();
