"""Errors of Hub publishing, and the translation of `huggingface_hub`/`httpx` failures into them.

The client libraries report a server that is down as a bare connection error, a repo one cannot see as "not
found", and a refused write as an HTTP status: these errors say instead what went wrong, with the endpoint, the
repo and the user (never the token).
"""

from __future__ import annotations

import contextlib

from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError


class HubPublishingError(RuntimeError):
    """Base class of the errors raised by `hf_lowres.hub`."""


class HubUnreachableError(HubPublishingError, ConnectionError):
    """The Hub endpoint (``HF_ENDPOINT``) does not answer."""


class HubRepoExistsError(HubPublishingError, FileExistsError):
    """The repo exists and the caller asked for a new one (``exist_ok=False``)."""


class HubPermissionError(HubPublishingError, PermissionError):
    """The user (or an anonymous client) may not write to, or cannot see, the repo."""


# The transport errors of the HTTP client huggingface_hub uses (httpx, or its successor httpx2), by class name so
# that neither has to be importable.
_TRANSPORT_ERROR_NAMES = {"TransportError", "NetworkError", "ConnectError", "ConnectTimeout", "TimeoutException"}


def _is_connection_failure(error: BaseException) -> bool:
    """Whether `error` or one of its causes is a failure to reach the server (refused, DNS, timeout)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (ConnectionError, TimeoutError)) or any(
            cls.__name__ in _TRANSPORT_ERROR_NAMES for cls in type(error).__mro__
        ):
            return True
        error = error.__cause__ or error.__context__
    return False


@contextlib.contextmanager
def translate_hub_errors(endpoint: str, repo_id: str, user: str | None, action: str, consequence: str = ""):
    """Turns connection, permission and conflict failures inside the block into `HubPublishingError`s.

    Args:
        endpoint (`str`): the Hub URL used (named in the message).
        repo_id (`str`): the repo the block works on.
        user (`str`, *optional*): the authenticated user's name; `None` when not known (then "this token").
        action (`str`): what the block does, e.g. ``"push adapters to"``.
        consequence (`str`, *optional*): appended to the message of a connection failure, e.g. ``"Nothing was
            uploaded."``.
    """
    who = f"user {user!r}" if user else "this token"
    as_who = f" as user {user!r}" if user else ""
    try:
        yield
    except HubPublishingError:
        raise
    except RepositoryNotFoundError as error:
        raise HubPermissionError(
            f"cannot {action} {repo_id!r} at {endpoint}{as_who}: the repo does not exist, or it is private and "
            f"{who} cannot see it."
        ) from error
    except HfHubHTTPError as error:
        status = getattr(error.response, "status_code", None)
        if status == 401:
            raise HubPermissionError(
                f"cannot {action} {repo_id!r} at {endpoint}: the token was refused (HTTP 401); pass a valid token "
                "(`token=`, HF_TOKEN or `hf auth login`)."
            ) from error
        if status == 403:
            raise HubPermissionError(
                f"cannot {action} {repo_id!r} at {endpoint}: {who} has no write access to it (HTTP 403); "
                "push to your own namespace or ask its owner for access."
            ) from error
        if _is_connection_failure(error):
            raise HubUnreachableError(_unreachable_message(endpoint, action, repo_id, consequence)) from error
        raise
    except (
        Exception
    ) as error:  # e.g. snapshot_download's "not reachable and not in the cache", caused by the connection
        if _is_connection_failure(error):
            raise HubUnreachableError(_unreachable_message(endpoint, action, repo_id, consequence)) from error
        raise


def _unreachable_message(endpoint: str, action: str, repo_id: str, consequence: str) -> str:
    message = (
        f"cannot {action} {repo_id!r}: the Hub endpoint {endpoint} does not answer (connection failed); check the "
        "network and HF_ENDPOINT."
    )
    return f"{message} {consequence}".strip()
