"""Email intake: mailboxes polled over IMAP or fed over SMTP/LMTP become tickets and replies.

Every message is stored raw (``InboundMail``) before anything else happens; processing parses it
(:mod:`kaizen.mail`), decides what it is (:mod:`.policies`: a loop, an auto-reply, a reply to a
ticket, a new ticket, a sender to refuse) and writes through the ticket services. Outbound ticket
mail carries threading headers (:mod:`.threads`) so that replies find their ticket again.
"""
