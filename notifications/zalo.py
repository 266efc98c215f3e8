"""Apprise plugins for Zalo: Official Account messages (zalo://) and ZNS templates (zns://).

Written the way Apprise's own plugins are (NotifyBase subclass, template tokens, a
privacy-aware url(), parse_url, registered at import). Zalo facts (docs/domain.md#zalo): the token
travels in an `access_token` header; HTTP 200 can still be a failure (`error` ≠ 0); an
expired token (-216) is refreshed once with the single-use refresh token and the request
retried; the new pair must be stored atomically, which the token store does. The API and
OAuth hosts come from Settings only, never from a URL: the tokens go to no other host.

  zalo://{oa_id}/{user_id}[/{user_id}…][?mode=cs|transaction]
  zalo://{access_token}@{oa_id}/{user_id}      (a fixed token; no refresh without a store)
  zns://{oa_id}/{phone}[/{phone}…]?template={template_id}[&body=noi_dung&:param=value…]
"""

# Apprise declares template_tokens/args as plain class dicts; its manager reads them there.
# ruff: noqa: RUF012

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from json import dumps
from typing import Any, Protocol

import requests
from apprise import NotificationManager
from apprise.common import NotifyType
from apprise.exception import AppriseImproperlyConfigured
from apprise.plugins.base import NotifyBase
from apprise.url import PrivacyMode
from apprise.utils.parse import validate_regex

from settings import get_settings

# Zalo's code for an invalid or expired access token (docs/domain.md#zalo).
TOKEN_INVALID_CODES = frozenset({-216})
# Zalo's codes for a person the Official Account may not write to now: -213 not following
# the OA, -230 no interaction with it in the last 7 days (docs/domain.md#zalo). Retrying the
# same message cannot help; the person must message the OA first.
NOT_INTERACTING_CODES = frozenset({-213, -230})
# In the plugin's log line for those codes, so delivery can tell them from other failures
# (Apprise reports a send only as true/false plus its log).
NOT_INTERACTING_MARK = "zalo-oa-not-interacting"
_OA_ID = r"^[0-9A-Za-z_\-]{1,64}$"
_USER_ID = re.compile(r"^[0-9A-Za-z_\-]{1,64}$")
_PHONE_CLEAN = re.compile(r"[\s().\-]")


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime | None


class RefreshRefused(Exception):
    """Zalo refused the refresh token: the Official Account must be authorised again."""


class TokenStore(Protocol):
    """Where an Official Account's tokens live (the database, in the service)."""

    def access_token(self, oa_id: str) -> str | None: ...

    def refresh(self, oa_id: str, stale_access_token: str) -> str:
        """A fresh access token; refreshes only if `stale_access_token` is still current."""
        ...


_token_store: TokenStore | None = None


def set_token_store(store: TokenStore | None) -> None:
    """Installed by the delivery service; plugins read tokens from it at send time."""
    global _token_store
    _token_store = store


def request_refresh(
    *, oauth_base: str, app_id: str, secret_key: str, refresh_token: str, timeout: float = 15.0
) -> TokenPair:
    """POST /v4/oa/access_token; the answer's refresh token replaces the old (single use)."""
    try:
        response = requests.post(
            oauth_base.rstrip("/") + "/v4/oa/access_token",
            headers={"secret_key": secret_key},
            data={"refresh_token": refresh_token, "app_id": app_id, "grant_type": "refresh_token"},
            timeout=timeout,
        )
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise RefreshRefused(f"Không gọi được máy chủ cấp token Zalo: {error}") from error
    if response.status_code != 200 or not isinstance(data, dict) or "access_token" not in data:
        detail = (
            data.get("error_description") or data.get("error_name") or data.get("message")
            if isinstance(data, dict)
            else ""
        )
        code = data.get("error") if isinstance(data, dict) else None
        raise RefreshRefused(
            f"Zalo từ chối làm mới token (HTTP {response.status_code}, mã {code}): {detail}"
        )
    try:
        seconds = int(data.get("expires_in", 0))
    except (TypeError, ValueError):
        seconds = 0
    expires = datetime.now().astimezone() + timedelta(seconds=seconds) if seconds else None
    return TokenPair(str(data["access_token"]), str(data["refresh_token"]), expires)


def normalise_phone(value: str) -> str | None:
    """84xxxxxxxxx (no '+', no leading 0), as ZNS wants; None if it is not a VN mobile."""
    digits = _PHONE_CLEAN.sub("", value or "")
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    return digits if re.fullmatch(r"84[1-9]\d{8}", digits) else None


# Both plugins: {schema}://[token@]oa_id/targets; they differ in what a target is.
_TEMPLATES = ("{schema}://{oa_id}/{targets}", "{schema}://{access_token}@{oa_id}/{targets}")


def _template_tokens(target_key: str, target_name: str) -> dict[str, Any]:
    return dict(
        NotifyBase.template_tokens,
        **{
            "oa_id": {
                "name": "Official Account ID",
                "type": "string",
                "required": True,
                "regex": (_OA_ID, ""),
            },
            "access_token": {"name": "Access Token", "type": "string", "private": True},
            target_key: {"name": target_name, "type": "string", "map_to": "targets"},
            "targets": {"name": "Targets", "type": "list:string", "required": True},
        },
    )


class _ZaloBase(NotifyBase):
    """Shared by both plugins: token handling and one JSON POST with Zalo's error rules."""

    # Apprise declares its plugin attributes without types (`service_name = None`) and
    # `url_identifier` as an attribute, so mypy reads every plugin's values as incompatible:
    # the `type: ignore`s on them in this module are for that, and only that.
    service_url = "https://developers.zalo.me/"  # type: ignore[assignment]
    # Apprise's default of 5.5 s between requests is for free public services; an Official
    # Account allows far more. A small pause still keeps a split message from hammering.
    request_rate_per_sec = 0.2
    title_maxlen = 0
    targets: list[str]
    invalid_targets: list[str]

    template_args = dict(
        NotifyBase.template_args,
        **{
            "token": {
                "name": "Access Token",
                "type": "string",
                "private": True,
                "map_to": "access_token",
            },
        },
    )

    def __init__(self, oa_id: str, access_token: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.oa_id = validate_regex(oa_id, _OA_ID)
        if not self.oa_id:
            msg = f"An invalid Zalo Official Account id ({oa_id}) was specified."
            self.logger.warning(msg)
            raise AppriseImproperlyConfigured(msg)
        self.access_token = access_token or None

    @property
    def base(self) -> str:
        return get_settings().zalo_api_base.rstrip("/")

    def _token(self) -> str | None:
        if self.access_token:
            return self.access_token
        return _token_store.access_token(self.oa_id) if _token_store is not None else None

    def _post(self, url: str, payload: dict[str, Any], target: str) -> bool:
        """POST with the access_token header; on -216 refresh once and retry."""
        token = self._token()
        if not token:
            self.logger.warning(f"Zalo OA {self.oa_id}: no access token is configured.")
            return False
        for attempt in (1, 2):
            self.throttle()
            try:
                response = requests.post(
                    url,
                    data=dumps(payload).encode("utf-8"),
                    headers={
                        "User-Agent": self.app_id,
                        "access_token": token,
                        "Content-Type": "application/json",
                    },
                    verify=self.verify_certificate,
                    timeout=self.request_timeout,
                    allow_redirects=self.redirects,
                )
            except requests.RequestException as error:
                self.logger.warning(
                    f"A connection error occurred sending Zalo message to {target}: {error!s}"
                )
                return False
            if response.status_code != requests.codes.ok:
                status = self.http_response_code_lookup(response.status_code)
                self.logger.warning(
                    f"Failed to send Zalo message to {target}: "
                    f"{status + ', ' if status else ''}"
                    f"error={response.status_code}."
                )
                return False
            try:
                data = response.json()
                code = int(data.get("error", -1))
            except (ValueError, TypeError, AttributeError):
                self.logger.warning(
                    f"Zalo answered with something that is not its JSON for {target}."
                )
                return False
            if code == 0:
                self.logger.info(f"Sent Zalo message to {target}.")
                return True
            if (
                code in TOKEN_INVALID_CODES
                and attempt == 1
                and _token_store is not None
                and not self.access_token
            ):
                try:
                    token = _token_store.refresh(self.oa_id, token)
                except RefreshRefused as error:
                    self.logger.warning(
                        f"Zalo OA {self.oa_id}: access token expired and the "
                        f"refresh was refused: {error}"
                    )
                    return False
                continue
            if code in NOT_INTERACTING_CODES:
                self.logger.warning(
                    f"{NOT_INTERACTING_MARK} error={code}: Zalo user {target} has not "
                    "interacted with the Official Account recently."
                )
                return False
            self.logger.warning(
                f"Failed to send Zalo message to {target}: error={code} "
                f"{data.get('message', '')}".rstrip()
            )
            return False
        return False

    def _post_to_each(self, url: str, payload_for: Callable[[str], dict[str, Any]]) -> bool:
        """One POST per target; a retry skips the targets that already got the message."""
        has_error = False
        for target in self.targets:
            if self.is_delivered(target):
                continue
            if self._post(url, payload_for(target), target):
                self.mark_delivered(target)
            else:
                has_error = True
        return not has_error

    def _token_for_url(self, privacy: bool) -> str:
        if not self.access_token:
            return ""
        masked = self.pprint(self.access_token, privacy, mode=PrivacyMode.Secret, safe="")
        return f"{masked}@"

    # Query arguments of the URL and the keyword each maps to, per plugin.
    query_arguments: tuple[tuple[str, str], ...] = ()

    def _plugin_params(self) -> dict[str, str]:
        """The plugin's own query arguments, written before Apprise's common ones."""
        return {}

    def _trailing_params(self) -> dict[str, str]:
        """Query arguments written after Apprise's common ones."""
        return {}

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self._plugin_params()
        params.update(self.url_parameters(*args, privacy=privacy, **kwargs))
        params.update(self._trailing_params())
        targets = "/".join(
            self.pprint(t, privacy, safe="") for t in [*self.targets, *self.invalid_targets]
        )
        return (
            f"{self.secure_protocol}://{self._token_for_url(privacy)}"
            f"{self.pprint(self.oa_id, privacy, safe='')}/{targets}"
            f"?{self.urlencode(params)}"
        )

    def __len__(self) -> int:
        return max(1, len(self.targets))

    @classmethod
    def _parse(cls, url: str) -> dict[str, Any] | None:
        results = NotifyBase.parse_url(url, verify_host=False)
        if not results:
            return results
        results["oa_id"] = cls.unquote(results["host"])
        results["targets"] = cls.split_path(results["fullpath"])
        qsd = results["qsd"]
        if results.get("user"):
            results["access_token"] = cls.unquote(results["user"])
        if qsd.get("token"):
            results["access_token"] = cls.unquote(qsd["token"])
        if qsd.get("to"):
            results["targets"] += cls.parse_list(qsd["to"])
        for name, key in cls.query_arguments:
            if qsd.get(name):
                results[key] = cls.unquote(qsd[name])
        return results


class NotifyZalo(_ZaloBase):
    """A text message from the Official Account to its followers (by OA user id)."""

    service_name = "Zalo Official Account"  # type: ignore[assignment]
    protocol = "zalo"  # type: ignore[assignment]
    secure_protocol = "zalo"  # type: ignore[assignment]
    setup_url = "https://developers.zalo.me/docs/official-account/"  # type: ignore[assignment]
    body_maxlen = 2000  # Zalo's limit for a text message

    templates = _TEMPLATES  # type: ignore[assignment]
    template_tokens = _template_tokens("target_user", "Target User ID")
    template_args = dict(
        _ZaloBase.template_args,
        **{
            "to": {"alias_of": "targets"},
            "mode": {
                "name": "Message Type",
                "type": "choice:string",
                "values": ("cs", "transaction"),
                "default": "cs",
            },
        },
    )

    def __init__(
        self, oa_id: str, targets: Any = None, mode: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(oa_id=oa_id, **kwargs)
        self.mode = (mode or "cs").lower()
        if self.mode not in ("cs", "transaction"):
            msg = f"An invalid Zalo message mode ({mode}) was specified."
            self.logger.warning(msg)
            raise AppriseImproperlyConfigured(msg)
        self.targets: list[str] = []
        self.invalid_targets: list[str] = []
        for target in self.parse_list(targets):
            (self.targets if _USER_ID.match(target) else self.invalid_targets).append(target)
            if not _USER_ID.match(target):
                self.logger.warning(f"Dropped invalid Zalo user id ({target}).")

    def send(
        self, body: str, title: str = "", notify_type: NotifyType = NotifyType.INFO, **kwargs: Any
    ) -> bool:
        if not self.targets:
            self.logger.warning("There were no Zalo users to notify.")
            return False
        return self._post_to_each(
            f"{self.base}/v3.0/oa/message/{self.mode}",
            lambda target: {"recipient": {"user_id": target}, "message": {"text": body}},
        )

    @property
    def url_identifier(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.secure_protocol, self.oa_id)

    query_arguments = (("mode", "mode"),)

    def _plugin_params(self) -> dict[str, str]:
        return {"mode": self.mode} if self.mode != "cs" else {}

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:  # type: ignore[override]
        return NotifyZalo._parse(url)


class NotifyZNS(_ZaloBase):
    """A Zalo Notification Service template message to a phone number (paid, pre-approved)."""

    service_name = "Zalo ZNS"  # type: ignore[assignment]
    protocol = "zns"  # type: ignore[assignment]
    secure_protocol = "zns"  # type: ignore[assignment]
    setup_url = "https://developers.zalo.me/docs/zalo-notification-service/"  # type: ignore[assignment]
    body_maxlen = 400  # a template parameter holds a few hundred characters

    templates = _TEMPLATES  # type: ignore[assignment]
    template_tokens = _template_tokens("target_phone", "Target Phone No")
    template_args = dict(
        _ZaloBase.template_args,
        **{
            "to": {"alias_of": "targets"},
            "template": {
                "name": "Template ID",
                "type": "string",
                "required": True,
                "map_to": "template_id",
            },
            "body": {"name": "Body Parameter", "type": "string", "map_to": "body_key"},
            "tracking": {"name": "Tracking ID", "type": "string", "map_to": "tracking_id"},
        },
    )
    template_kwargs = {"template_data": {"name": "Template Data", "prefix": ":"}}

    def __init__(
        self,
        oa_id: str,
        targets: Any = None,
        template_id: str | None = None,
        body_key: str | None = None,
        tracking_id: str | None = None,
        template_data: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(oa_id=oa_id, **kwargs)
        self.template_id = validate_regex(template_id or "", r"^[0-9A-Za-z_\-]{1,64}$")
        if not self.template_id:
            msg = f"An invalid ZNS template id ({template_id}) was specified."
            self.logger.warning(msg)
            raise AppriseImproperlyConfigured(msg)
        self.body_key = body_key or "noi_dung"
        self.tracking_id = tracking_id or None
        self.template_data = dict(template_data or {})
        self.targets: list[str] = []
        self.invalid_targets: list[str] = []
        for target in self.parse_list(targets):
            phone = normalise_phone(target)
            if phone:
                self.targets.append(phone)
            else:
                self.invalid_targets.append(target)
                self.logger.warning(f"Dropped invalid phone number ({target}).")

    @property
    def base(self) -> str:
        return get_settings().zns_api_base.rstrip("/")

    def send(
        self, body: str, title: str = "", notify_type: NotifyType = NotifyType.INFO, **kwargs: Any
    ) -> bool:
        if not self.targets:
            self.logger.warning("There were no phone numbers to notify via ZNS.")
            return False

        def payload_for(phone: str) -> dict[str, Any]:
            payload: dict[str, Any] = {
                "phone": phone,
                "template_id": self.template_id,
                "template_data": {**self.template_data, self.body_key: body},
            }
            if self.tracking_id:
                payload["tracking_id"] = self.tracking_id
            return payload

        return self._post_to_each(f"{self.base}/message/template", payload_for)

    @property
    def url_identifier(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.secure_protocol, self.oa_id, self.template_id)

    query_arguments = (
        ("template", "template_id"),
        ("body", "body_key"),
        ("tracking", "tracking_id"),
    )

    def _plugin_params(self) -> dict[str, str]:
        params = {"template": self.template_id}
        if self.body_key != "noi_dung":
            params["body"] = self.body_key
        if self.tracking_id:
            params["tracking"] = self.tracking_id
        return params

    def _trailing_params(self) -> dict[str, str]:
        return {f":{k}": v for k, v in self.template_data.items()}

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:  # type: ignore[override]
        results = NotifyZNS._parse(url)
        if results:
            results["template_data"] = {
                k: NotifyZNS.unquote(v) for k, v in results.get("qsd:", {}).items()
            }
        return results


def register() -> None:
    """Apprise only knows a plugin once added to its NotificationManager (idempotent)."""
    manager = NotificationManager()
    for plugin in (NotifyZalo, NotifyZNS):
        if plugin.protocol not in manager:
            manager.add(plugin)


register()
