"""Binance-style API errors.

Clients (ccxt above all) map the numeric ``code`` and sometimes the exact ``msg`` to their own exception
classes, so both are copied verbatim from Binance's spot API documentation. Never invent new wording for an
existing code: ccxt matches some messages exactly (e.g. insufficient balance → ``InsufficientFunds``).
"""

from __future__ import annotations

from typing import Any


class BinanceError(Exception):
    """An error the server answers with ``{"code": code, "msg": msg}`` and an HTTP status (400 by default)."""

    def __init__(self, code: int, msg: str, *, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def unknown_error() -> BinanceError:
    return BinanceError(-1000, "An unknown error occured while processing the request.", status=500)


def not_supported() -> BinanceError:
    return BinanceError(-1020, "This operation is not supported.", status=404)


def duplicate_param(name: str) -> BinanceError:
    return BinanceError(-1101, f"Duplicate values for parameter '{name}'.")


def illegal_chars(name: str, legal: str) -> BinanceError:
    return BinanceError(-1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'.")


def mandatory_missing(name: str) -> BinanceError:
    return BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def either_missing(first: str, second: str) -> BinanceError:
    return BinanceError(-1102, f"Param '{first}' or '{second}' must be sent, but both were empty/null!")


def not_required(name: str) -> BinanceError:
    return BinanceError(-1106, f"Parameter '{name}' sent when not required.")


def invalid_value(name: str) -> BinanceError:
    return BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")


def invalid_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def invalid_interval() -> BinanceError:
    return BinanceError(-1120, "Invalid interval.")


def invalid_side() -> BinanceError:
    return BinanceError(-1117, "Invalid side.")


def invalid_order_type() -> BinanceError:
    return BinanceError(-1116, "Invalid orderType.")


def invalid_time_in_force() -> BinanceError:
    return BinanceError(-1115, "Invalid timeInForce.")


def filter_failure(name: str) -> BinanceError:
    return BinanceError(-1013, f"Filter failure: {name}")


def market_closed() -> BinanceError:
    return BinanceError(-1013, "Market is closed.")


def bad_api_key_format() -> BinanceError:
    return BinanceError(-2014, "API-key format invalid.", status=401)


def invalid_api_key() -> BinanceError:
    return BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)


def invalid_signature() -> BinanceError:
    return BinanceError(-1022, "Signature for this request is not valid.")


def outside_recv_window() -> BinanceError:
    return BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")


def ahead_of_server() -> BinanceError:
    return BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")


def recv_window_too_large() -> BinanceError:
    return BinanceError(-1131, "recvWindow must be less than 60000")


def insufficient_balance() -> BinanceError:
    return BinanceError(-2010, "Account has insufficient balance for requested action.")


def would_take() -> BinanceError:
    return BinanceError(-2010, "Order would immediately match and take.")


def stop_would_trigger() -> BinanceError:
    return BinanceError(-2010, "Stop price would trigger immediately.")


def order_does_not_exist() -> BinanceError:
    return BinanceError(-2013, "Order does not exist.")


def unknown_order() -> BinanceError:
    return BinanceError(-2011, "Unknown order sent.")


def duplicate_client_order_id() -> BinanceError:
    return BinanceError(-2010, "Duplicate order sent.")
