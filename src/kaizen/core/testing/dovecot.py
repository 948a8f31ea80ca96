"""A real Dovecot IMAP (and LMTP) server for tests of the email intake.

Debian's ``dovecot-imapd`` and ``dovecot-lmtpd`` (installed by ``scripts/ensure_test_tools.sh``)
are started with a self-contained configuration written into a temporary directory: the
configuration, passwd-file, state and log live there, the listeners are bound to free ports on
127.0.0.1, and the system's ``/etc/dovecot`` is never read. Two pytest-xdist workers therefore each
get their own server.

Dovecot runs as the current user:

* As a normal user, every service (internal, login, mail) runs as that user, nothing is chrooted
  and the Maildirs are under ``tmp_dir/mail``.
* As root (CI containers), Dovecot refuses both root login processes and mail access as root
  (``Mail access not allowed for root``, whatever ``first_valid_uid`` says, and passwd-file rejects
  uid 0). So login processes run as ``dovenull`` (chrooted, as usual), mail is read and written as
  ``nobody``, and because pytest's temporary directories are private to root, the runtime
  directory and the Maildirs move to a separate directory under the system temporary directory,
  removed on exit (:attr:`DovecotServer.mail_root` says where).

With ``oauth2_introspection_url`` the server also accepts OAuth 2.0 sign-in (SASL XOAUTH2 and
OAUTHBEARER) through Dovecot's ``oauth2`` passdb: each token is POSTed (``token=...``) to that URL
(``introspection_mode = post``), whose JSON answer must say ``"active": true`` and give the login
name as ``username``; passwords keep working through the passwd-file. The auth process makes that
request (as root it stays root, like the other internal services), so a token server on 127.0.0.1
in the test process is enough.

Use the ``dovecot`` fixture: register it with
``pytest_plugins = ["kaizen.core.testing.dovecot"]`` or import it into a test module. It is
skipped when Dovecot is not installed, unless ``KAIZEN_REQUIRE_SERVERS=1`` (CI) makes a missing
server a failure.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .net import free_port

DOVECOT = Path(os.environ.get("KAIZEN_DOVECOT", "/usr/sbin/dovecot"))
LMTP_BINARY = Path("/usr/lib/dovecot/lmtp")
HOST = "127.0.0.1"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
DEFAULT_USERS = {"intake@kaizen.test": "intake-secret", "other@kaizen.test": "other-secret"}
# Unix socket paths are limited to 108 bytes; Dovecot's longest name under base_dir is about
# 30 characters ("login/imap-urlauth-login" and the like), so keep base_dir well below that.
MAX_BASE_DIR = 70
REQUIRE_SERVERS = "KAIZEN_REQUIRE_SERVERS"
# Services that Dovecot chroots by default (``doveconf -d | grep chroot``), besides imap-login.
CHROOTED_SERVICES = ("anvil", "ipc", "old-stats", "aggregator", "imap-urlauth-login")


class DovecotError(RuntimeError):
    """Dovecot could not be started (the message ends with the tail of its log)."""


@dataclass(frozen=True)
class _Identity:
    """Who runs what: Dovecot's service users and the owner of the Maildirs."""

    internal_user: str
    internal_group: str
    login_user: str
    mail_uid: int
    mail_gid: int
    may_chroot: bool

    @classmethod
    def current(cls) -> _Identity:
        uid, gid = os.getuid(), os.getgid()
        if uid != 0:
            # Only root may switch users or chroot(2).
            user = pwd.getpwuid(uid).pw_name
            return cls(user, grp.getgrgid(gid).gr_name, user, uid, gid, may_chroot=False)
        # Internal services (auth reads the passwd-file in root's private tmp_dir) stay root.
        login = "dovenull" if _user_exists("dovenull") else "nobody"
        nobody = pwd.getpwnam("nobody")
        return cls("root", "root", login, nobody.pw_uid, nobody.pw_gid, may_chroot=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass
class DovecotServer:
    """A running Dovecot, as returned by :func:`start_dovecot`.

    Attributes:
        host: The address both listeners are bound to.
        imap_port: The plain-text IMAP port (no TLS; PLAIN and LOGIN authentication).
        lmtp_port: The LMTP port, or ``None`` when ``dovecot-lmtpd`` is not installed.
        users: Login name -> password. The LMTP recipient address is the login name, hence
            addresses as names.
        directory: The directory holding the configuration, passwd-file and log.
        mail_root: The users' homes (``<mail_root>/<user>/Maildir``).
        log_path: Dovecot's log file (everything, including authentication failures).
    """

    host: str
    imap_port: int
    lmtp_port: int | None
    users: dict[str, str]
    directory: Path
    mail_root: Path
    log_path: Path
    _passwd_file: Path = field(repr=False)
    _identity: _Identity = field(repr=False)
    oauth2_introspection_url: str | None = None

    def add_user(self, name: str, password: str) -> None:
        """Create (or change the password of) a mailbox user; takes up to one second.

        Dovecot's passwd-file driver looks at the file at most once a second and only notices a
        change of its mtime (whole seconds) or size: wait for the next second and touch the file,
        so the very next login sees the user.

        Args:
            name: The login name (use an address to be able to deliver to it over LMTP).
            password: Its plain-text password.
        """
        self.users[name] = password
        _write_passwd_file(self._passwd_file, self.users, self.mail_root, self._identity)
        time.sleep(1 - time.time() % 1 + 0.01)
        os.utime(self._passwd_file)

    def maildir(self, user: str) -> Path:
        """Return the user's Maildir (it exists once Dovecot has opened the mailbox)."""
        return self.mail_root / user / "Maildir"

    def log(self, lines: int = 40) -> str:
        """Return the last ``lines`` lines of Dovecot's log, for failure messages."""
        return _tail(self.log_path, lines)


@dataclass
class _Layout:
    """Where Dovecot's files go, and the separate directory (if any) to delete afterwards."""

    directory: Path
    base_dir: Path
    mail_root: Path
    scratch: Path | None

    @classmethod
    def create(cls, directory: Path, identity: _Identity) -> _Layout:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "state").mkdir(exist_ok=True)
        as_root = os.getuid() == 0
        base_dir, mail_root, scratch = directory / "run", directory / "mail", None
        # pytest's tmp_path (more so under xdist) can be too long for Unix sockets, and as root
        # it is private to root, which the mail user cannot traverse.
        if as_root or len(str(base_dir)) > MAX_BASE_DIR:
            scratch = Path(tempfile.mkdtemp(prefix="kaizen-dovecot-"))
            scratch.chmod(0o755)
            base_dir = scratch / "run"
            if as_root:
                mail_root = scratch / "mail"
        base_dir.mkdir(exist_ok=True)
        mail_root.mkdir(exist_ok=True)
        if as_root:
            os.chown(mail_root, identity.mail_uid, identity.mail_gid)
        return cls(directory, base_dir, mail_root, scratch)

    def remove_scratch(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _check_passwd_field(value: str, what: str) -> None:
    # The passwd-file is colon-separated, one entry per line; names become directory names.
    if not value or any(ch in value for ch in ":\n\r/"):
        raise ValueError(f"{what} must be non-empty without ':', '/' or line breaks: {value!r}")


def _write_passwd_file(path: Path, users: dict[str, str], mail_root: Path, identity: _Identity) -> None:
    entries = []
    for name, password in users.items():
        _check_passwd_field(name, "user name")
        _check_passwd_field(password, "password")
        ids = f"{identity.mail_uid}:{identity.mail_gid}"
        entries.append(f"{name}:{{PLAIN}}{password}:{ids}::{mail_root / name}::\n")
    # Write and rename, so a running Dovecot never reads a half-written file.
    staging = path.with_suffix(".tmp")
    staging.write_text("".join(entries))
    staging.chmod(0o600)
    staging.replace(path)


def _no_chroots(identity: _Identity) -> str:
    if identity.may_chroot:
        return ""
    # Dovecot's built-in defaults chroot these services, which only root may do (Debian's
    # /etc/dovecot clears some of them, but it is not read here).
    return "".join(f"service {name} {{\n  chroot =\n}}\n" for name in CHROOTED_SERVICES)


def _lmtp_service(lmtp_port: int | None) -> str:
    if lmtp_port is None:
        return ""
    return f"""
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {lmtp_port}
  }}
}}
"""


def _oauth2_passdb(directory: Path, introspection_url: str | None) -> str:
    if introspection_url is None:
        return ""
    if any(ch in introspection_url for ch in '\n\r "') or not introspection_url.startswith("http"):
        raise ValueError(f"not a usable introspection URL: {introspection_url!r}")
    settings = directory / "dovecot-oauth2.conf.ext"
    settings.write_text(
        f"""introspection_mode = post
introspection_url = {introspection_url}
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 10000
"""
    )
    settings.chmod(0o600)
    return f"""passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {settings}
}}
"""


def _config(
    layout: _Layout,
    identity: _Identity,
    imap_port: int,
    lmtp_port: int | None,
    passwd_file: Path,
    introspection_url: str | None = None,
) -> str:
    log = layout.directory / "dovecot.log"
    mechanisms = "plain login" + (" xoauth2 oauthbearer" if introspection_url else "")
    return f"""# Written by kaizen.core.testing.dovecot: self-contained, nothing from /etc/dovecot.
base_dir = {layout.base_dir}
state_dir = {layout.directory / "state"}
instance_name = kaizen-dovecot-{imap_port}
log_path = {log}
info_log_path = {log}
debug_log_path = {log}
protocols = {"imap lmtp" if lmtp_port is not None else "imap"}
listen = {HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
auth_verbose = yes
# Tests of wrong passwords need not wait the default 2 s.
auth_failure_delay = 0
default_internal_user = {identity.internal_user}
default_internal_group = {identity.internal_group}
default_login_user = {identity.login_user}
# The defaults (500 and 1) would refuse a system account running the tests.
first_valid_uid = {identity.mail_uid}
first_valid_gid = {identity.mail_gid}
mail_location = maildir:~/Maildir
# No fsync: test mailboxes are thrown away.
mail_fsync = never

{_oauth2_passdb(layout.directory, introspection_url)}passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {passwd_file}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {passwd_file}
}}

service imap-login {{
  chroot = {"login" if identity.may_chroot else ""}
  inet_listener imap {{
    address = {HOST}
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{_no_chroots(identity)}{_lmtp_service(lmtp_port)}"""


def _wait_for_greeting(process: subprocess.Popen[bytes], port: int, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DovecotError(f"dovecot exited with {process.returncode}:\n{_tail(log_path)}")
        # The master accepts connections before imap-login runs: only the greeting means ready.
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1) as sock:
            sock.settimeout(2)
            if sock.recv(1024).startswith(b"* OK"):
                return
        time.sleep(0.05)
    raise DovecotError(
        f"dovecot gave no IMAP greeting on {HOST}:{port} within {timeout:.0f} s:\n{_tail(log_path)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # SIGTERM makes the master stop its children before it exits.
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT)


@dataclass
class _Running:
    server: DovecotServer
    process: subprocess.Popen[bytes]
    layout: _Layout

    def stop(self) -> None:
        _stop(self.process)
        self.layout.remove_scratch()


def _launch(
    directory: Path, users: dict[str, str], timeout: float, introspection_url: str | None = None
) -> _Running:
    identity = _Identity.current()
    layout = _Layout.create(directory, identity)
    imap_port = free_port(HOST)
    lmtp_port = free_port(HOST) if LMTP_BINARY.exists() else None
    passwd_file = directory / "users.passwd"
    _write_passwd_file(passwd_file, users, layout.mail_root, identity)
    conf = directory / "dovecot.conf"
    conf.write_text(_config(layout, identity, imap_port, lmtp_port, passwd_file, introspection_url))
    log_path = directory / "dovecot.log"
    log_path.unlink(missing_ok=True)
    server = DovecotServer(
        HOST,
        imap_port,
        lmtp_port,
        dict(users),
        directory,
        layout.mail_root,
        log_path,
        passwd_file,
        identity,
        introspection_url,
    )
    # -F keeps the master in the foreground, so it stays our child and terminate() reaches it.
    # Its stdout and stderr (errors before the log is open) go to the same log file.
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - a fixed binary and a configuration we wrote
            [str(DOVECOT), "-F", "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    running = _Running(server, process, layout)
    try:
        _wait_for_greeting(process, imap_port, log_path, timeout)
    except BaseException:
        running.stop()
        raise
    return running


@contextlib.contextmanager
def start_dovecot(
    tmp_dir: Path,
    users: dict[str, str] | None = None,
    *,
    timeout: float = START_TIMEOUT,
    attempts: int = 3,
    oauth2_introspection_url: str | None = None,
) -> Iterator[DovecotServer]:
    """Start Dovecot on free ports of 127.0.0.1 and stop it on exit.

    Args:
        tmp_dir: A private directory for the configuration, log, state and (not as root) Maildirs.
        users: Login name -> password; a copy of ``DEFAULT_USERS`` when omitted.
        timeout: Seconds to wait for the IMAP greeting.
        attempts: Starts to try: another process may take a free port before Dovecot binds it.
        oauth2_introspection_url: Also accept OAuth 2.0 tokens, checked by POSTing them to this
            URL (see the module's description); ``None``: passwords only.

    Yields:
        The running server.

    Raises:
        DovecotError: Dovecot is missing, exited, or did not greet in time.
    """
    if not DOVECOT.exists():
        raise DovecotError(f"{DOVECOT} not found: run scripts/ensure_test_tools.sh")
    for attempt in range(1, attempts + 1):
        try:
            running = _launch(
                tmp_dir,
                dict(users if users is not None else DEFAULT_USERS),
                timeout,
                oauth2_introspection_url,
            )
            break
        except DovecotError as exc:
            if attempt == attempts or "Address already in use" not in str(exc):
                raise
    try:
        yield running.server
    finally:
        running.stop()


def require_dovecot() -> None:
    """Skip the calling test when Dovecot is not installed; fail it if ``KAIZEN_REQUIRE_SERVERS=1``."""
    if DOVECOT.exists():
        return
    reason = f"Debian's dovecot-imapd is not installed ({DOVECOT}; run scripts/ensure_test_tools.sh)"
    if os.environ.get(REQUIRE_SERVERS) == "1":
        pytest.fail(f"{reason} and {REQUIRE_SERVERS}=1 requires it")
    pytest.skip(reason)


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[DovecotServer]:
    """A fresh Dovecot for one test, with the users of ``DEFAULT_USERS`` (add more with ``add_user``).

    Function-scoped so that every test starts with empty mailboxes (a start takes about 0.1 s, a
    stop about 1 s). See :func:`require_dovecot` for when Dovecot is not installed.
    """
    require_dovecot()
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(start_dovecot(tmp_path / "dovecot"))
        except DovecotError as exc:
            pytest.fail(str(exc))
        yield server
