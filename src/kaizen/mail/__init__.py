"""Email intake: a pure parser of raw RFC 5322 messages (no ORM, no network).

:func:`kaizen.mail.parse.parse` turns the bytes of one message into a frozen
:class:`~kaizen.mail.parse.ParsedMail`; :mod:`kaizen.mail.quoting` prepares text for display
(quoted history, HTML-only mail). IMAP/SMTP intake builds on it; see ``docs/dev/mail-parsing.md``.
"""
