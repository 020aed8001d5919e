"""Errors of Hub publishing, and the translation of `huggingface_hub`/`httpx` failures into them.

The client libraries report a server that is down as a bare connection error, a repo one cannot see as "not
found", a refused write as an HTTP status, and a Hub without Xet storage as a connection error naming the Xet token
URL: these errors say instead what went wrong, with the endpoint, the repo and the user (never the token), and what
the failed call had already done on the Hub.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError


class HubPublishingError(RuntimeError):
    """Base class of the errors raised by `hf_lowres.hub`."""


class HubUnreachableError(HubPublishingError, ConnectionError):
    """The Hub endpoint (``HF_ENDPOINT``) does not answer, or stopped answering during the call (the message says what
    had reached the Hub by then)."""


class HubRepoExistsError(HubPublishingError, FileExistsError):
    """The repo exists and the caller asked for a new one (``exist_ok=False``)."""


class HubPermissionError(HubPublishingError, PermissionError):
    """The user (or an anonymous client) may not write to, or cannot see, the repo."""


# The transport errors of the HTTP client huggingface_hub uses (httpx, or its successor httpx2), by class name so
# that neither has to be importable.
_TRANSPORT_ERROR_NAMES = {"TransportError", "NetworkError", "ConnectError", "ConnectTimeout", "TimeoutException"}
# hf_xet reports any failure of its token request as a `ConnectionError` whose message holds the HTTP status and the
# URL, e.g. "Network error: Request error: HTTP status client error (404 Not Found), domain: <endpoint>/api/models/
# <repo>/xet-write-token/main".
_XET_TOKEN_URL_RE = re.compile(r"/xet-(read|write)-token\b")
_HTTP_STATUS_RE = re.compile(r"HTTP status (?:client|server) error \((\d{3})")


def _causes(error: BaseException):
    """`error` and the exceptions it was raised from, outermost first."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _is_connection_failure(error: BaseException) -> bool:
    """Whether `error` or one of its causes is a failure to reach the server (refused, DNS, timeout)."""
    return any(
        isinstance(cause, (ConnectionError, TimeoutError))
        or any(cls.__name__ in _TRANSPORT_ERROR_NAMES for cls in type(cause).__mro__)
        # A connection error in one upload thread makes huggingface_hub close the shared HTTP client under the others.
        or (isinstance(cause, RuntimeError) and "client has been closed" in str(cause))
        for cause in _causes(error)
    )


def _xet_token_refusal(error: BaseException) -> tuple[str, int] | None:
    """``(kind, status)`` when `error` comes from an HTTP error answer to a Xet token request (``kind`` is ``"read"``
    or ``"write"``): the server answered, so it is not a connection failure."""
    for cause in _causes(error):
        message = str(cause)
        url, status = _XET_TOKEN_URL_RE.search(message), _HTTP_STATUS_RE.search(message)
        if url is not None and status is not None:
            return url.group(1), int(status.group(1))
    return None


@contextlib.contextmanager
def translate_hub_errors(
    endpoint: str,
    repo_id: str,
    user: str | None,
    action: str,
    consequence: str | Callable[[], str] = "",
    still_answers: Callable[[], bool] | None = None,
):
    """Turns connection, permission, conflict and Xet failures inside the block into `HubPublishingError`s.

    Args:
        endpoint (`str`): the Hub URL used (named in the message).
        repo_id (`str`): the repo the block works on.
        user (`str`, *optional*): the authenticated user's name; `None` when not known (then "this token").
        action (`str`): what the block does, e.g. ``"push adapters to"``.
        consequence (`str` or callable, *optional*): what the block had done on the Hub when it failed, e.g.
            ``"Nothing was uploaded."``; a callable is asked at the moment of the failure. Appended to the messages of
            connection and Xet failures, and added as a note to any other error that escapes the block.
        still_answers (callable, *optional*): asked, for an error that is none of the above, whether the endpoint
            still answers; `False` makes it a `HubUnreachableError` (huggingface_hub can report a server that went
            away mid-upload as an unrelated `RuntimeError`, e.g. "the client has been closed").
    """
    who = f"user {user!r}" if user else "this token"
    as_who = f" as user {user!r}" if user else ""

    def what_happened() -> str:
        return consequence() if callable(consequence) else consequence

    try:
        yield
    except HubPublishingError:
        raise
    except RepositoryNotFoundError as error:
        message = (
            f"cannot {action} {repo_id!r} at {endpoint}{as_who}: the repo does not exist, or it is private and "
            f"{who} cannot see it."
        )
        raise HubPermissionError(f"{message} {what_happened()}".strip()) from error
    except HfHubHTTPError as error:
        status = getattr(error.response, "status_code", None)
        if status == 401:
            message = (
                f"cannot {action} {repo_id!r} at {endpoint}: the token was refused (HTTP 401); pass a valid token "
                "(`token=`, HF_TOKEN or `hf auth login`)."
            )
            raise HubPermissionError(f"{message} {what_happened()}".strip()) from error
        if status == 403:
            message = (
                f"cannot {action} {repo_id!r} at {endpoint}: {who} has no write access to it (HTTP 403); "
                "push to your own namespace or ask its owner for access."
            )
            raise HubPermissionError(f"{message} {what_happened()}".strip()) from error
        if _is_connection_failure(error):
            raise HubUnreachableError(_unreachable_message(endpoint, action, repo_id, what_happened())) from error
        _add_note(error, what_happened())
        raise
    except (
        Exception
    ) as error:  # e.g. snapshot_download's "not reachable and not in the cache", caused by the connection
        xet = _xet_token_refusal(error)
        if xet is not None:
            raise _xet_error(endpoint, action, repo_id, who, *xet, what_happened()) from error
        if _is_connection_failure(error) or (still_answers is not None and not still_answers()):
            raise HubUnreachableError(_unreachable_message(endpoint, action, repo_id, what_happened())) from error
        _add_note(error, what_happened())
        raise


def _unreachable_message(endpoint: str, action: str, repo_id: str, consequence: str) -> str:
    message = (
        f"cannot {action} {repo_id!r}: the Hub endpoint {endpoint} does not answer (connection failed); check the "
        "network and HF_ENDPOINT."
    )
    return f"{message} {consequence}".strip()


def _xet_error(
    endpoint: str, action: str, repo_id: str, who: str, kind: str, status: int, consequence: str
) -> HubPublishingError:
    if status in (401, 403):
        message = (
            f"cannot {action} {repo_id!r} at {endpoint}: the Xet {kind} token was refused to {who} (HTTP {status})."
        )
        return HubPermissionError(f"{message} {consequence}".strip())
    message = (
        f"cannot {action} {repo_id!r}: the Hub endpoint {endpoint} answered HTTP {status} to the Xet {kind} token "
        "request, so it does not offer Xet storage, which huggingface_hub uses by default for large files. Set "
        "HF_HUB_DISABLE_XET=1 in the environment (before huggingface_hub is imported) to send them through "
        "git-LFS instead."
    )
    return HubPublishingError(f"{message} {consequence}".strip())


def _add_note(error: BaseException, consequence: str) -> None:
    if consequence:
        error.add_note(f"hf_lowres: {consequence}")
