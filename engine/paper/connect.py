"""Opening a paper run's session: the IB session and its journal, and the errors that stop a
run before it trades.  Shared by a run and by ``ecore paper status``."""

from __future__ import annotations

from .config import PaperConfig


def open_session(config: PaperConfig, dry_run: bool, limits=None):
    """(IBSession, Journal) for ``config``, not yet connected.  A dry run writes nothing: the
    journal is opened read-only (or empty, in memory) and no order is placed."""
    from ...brokers.ib.client import client_library
    from ...brokers.ib.contracts import ContractBook
    from ...brokers.ib.journal import Journal
    from ...brokers.ib.connection import ConnectionSettings
    from ...brokers.ib.session import IBSession

    lib = client_library(config.client)
    settings = ConnectionSettings(config.host, config.port, config.client_id, config.account,
                                  timeout=config.timeout, request_timeout=config.request_timeout)
    import sqlite3

    from ..errors import UserError

    try:
        journal = Journal(config.journal, read_only=dry_run)
    except sqlite3.Error as exc:  # changed on disk since the config was checked, or damaged
        raise UserError(f"ib.journal: {config.journal} cannot be opened as a journal ({exc})") from None
    session = IBSession(settings, journal, lib,
                        ContractBook(lib, config.primary_exchanges, config.futures_exchange),
                        limits, dry_run=dry_run)
    return session, journal


def connection_errors():
    """The errors that stop a run before it trades (one line, exit 2)."""
    from ...brokers.ib.contracts import ContractMismatch, UnknownContract
    from ...brokers.ib.errors import (DataFailure, IncompletePicture, PaperAccountRequired,
                                     RequestFailed, UnsupportedAccount)
    from ...brokers.ib.journal_lock import JournalInUse
    from .freshness import StaleData

    return (PaperAccountRequired, ContractMismatch, UnknownContract, IncompletePicture,
            DataFailure, RequestFailed, UnsupportedAccount, ConnectionError, OSError,
            TimeoutError, JournalInUse, StaleData)
