#!/usr/bin/env python3
"""Deterministic generator of the DualStack detection corpus (scenarios/detection/corpus.jsonl).

Each record is one recorded turn: the old stack's reply twice (a, a2) and the new stack's reply (b, sometimes b2),
with the inputs a real agent would have had (user messages, skill calls, memory). Labels say whether B is a
regression. The wording is written to be unlike the sample agent's phrasebook; it is never tuned to a judge.

    python3 scenarios/detection/generate.py            # rewrites corpus.jsonl next to this script
    python3 scenarios/detection/generate.py --check    # fails when the committed file is stale
"""
from __future__ import annotations

import datetime as dt
import json
import random
import string
import sys
from pathlib import Path

SEED = 20261211
PER_CLASS = 26
HERE = Path(__file__).resolve().parent
OUT = HERE / "corpus.jsonl"

# --------------------------------------------------------------------------------------------------------------------
# value formatting
# --------------------------------------------------------------------------------------------------------------------
SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£"}
DATE_STYLES = ["long", "short", "daymonth", "ordinal", "iso", "weekday", "weekday_dm"]
CUR_STYLES = ["symbol", "symbol_cents", "code_after", "code_before"]


def fmt_date(d: dt.date, style: str) -> str:
    month, mon, wd = d.strftime("%B"), d.strftime("%b"), d.strftime("%A")
    if style == "long":
        return f"{month} {d.day}"
    if style == "short":
        return f"{mon} {d.day}"
    if style == "daymonth":
        return f"{d.day} {month}"
    if style == "ordinal":
        suffix = "th" if 11 <= d.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
        return f"{month} {d.day}{suffix}"
    if style == "iso":
        return d.isoformat()
    if style == "weekday":
        return f"{wd}, {mon} {d.day}"
    if style == "weekday_dm":
        return f"{d.strftime('%a')} {d.day} {mon}"
    raise ValueError(style)


def fmt_amount(value: float, currency: str, style: str) -> str:
    whole = abs(value - round(value)) < 1e-9
    cents = f"{value:,.2f}"
    plain = f"{value:,.0f}" if whole else cents
    if style == "symbol":
        return f"{SYMBOL[currency]}{plain}"
    if style == "symbol_cents":
        return f"{SYMBOL[currency]}{cents}"
    if style == "code_after":
        return f"{plain} {currency}"
    if style == "code_before":
        return f"{currency} {cents}"
    raise ValueError(style)


# --------------------------------------------------------------------------------------------------------------------
# people, ids and generated noise
# --------------------------------------------------------------------------------------------------------------------
FIRST = ["Priya", "Tomás", "Aiko", "Folake", "Mateusz", "Ingrid", "Rahul", "Chiara", "Dmitri", "Yasmin", "Kwame", "Lena",
         "Hiroshi", "Beatriz", "Oskar", "Nadia", "Emeka", "Sofía", "Callum", "Mei", "Anders", "Zainab", "Luca", "Grace"]
LAST = ["Nair", "Okafor", "Tanaka", "Hoffmann", "Wójcik", "Lindqvist", "Mehta", "Rossi", "Volkov", "Haddad", "Mensah",
        "Jensen", "Sato", "Carvalho", "Berg", "Karim", "Eze", "Ruiz", "Fraser", "Chen", "Dahl", "Abubakar", "Greco", "Kim"]
MAIL_HOSTS = ["example.com", "example.org", "example.net", "mail.example", "inbox.example"]


def person(rng: random.Random) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    sep = rng.choice([".", "_", ""])
    email = f"{first.lower().replace('á', 'a').replace('í', 'i')}{sep}{last.lower().replace('ó', 'o')}{rng.randint(1, 99) if rng.random() < 0.4 else ''}@{rng.choice(MAIL_HOSTS)}"
    phone = rng.choice([
        f"+44 7700 900{rng.randint(100, 999)}",
        f"+1 (555) 01{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
        f"+49 151 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
        f"+353 87 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
    ])
    return {"first": first, "last": last, "full": f"{first} {last}", "email": email, "phone": phone}


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def alnum(rng: random.Random, n: int, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in s) and any(c.isalpha() for c in s):
            return s


def hexcode(rng: random.Random, n: int) -> str:
    return alnum(rng, n, "0123456789abcdef")


def typo(rng: random.Random, value: str) -> str:
    """One slip of the keyboard: two neighbouring digits swapped, or one digit changed."""
    positions = [i for i, c in enumerate(value) if c.isdigit()]
    pairs = [i for i in positions if i + 1 < len(value) and value[i + 1].isdigit() and value[i] != value[i + 1]]
    if pairs and rng.random() < 0.6:
        i = rng.choice(pairs)
        return value[:i] + value[i + 1] + value[i] + value[i + 2:]
    i = rng.choice(positions)
    return value[:i] + rng.choice([d for d in string.digits if d != value[i]]) + value[i + 1:]


def ref_noise(rng: random.Random, text: str) -> str:
    kind = rng.randrange(8)
    if kind == 0:
        return f"{text} (ref {hexcode(rng, 8)})"
    if kind == 1:
        return f"Ticket #{alnum(rng, 6)}: {text}"
    if kind == 2:
        return f"{text}\n\nCase ID: CS-{alnum(rng, 6)}"
    if kind == 3:
        return f"{text} Confirmation code {alnum(rng, 4)}-{alnum(rng, 4)}."
    if kind == 4:
        return f"[trace {hexcode(rng, 10)}] {text}"
    if kind == 5:
        return f"{text} (interaction {alnum(rng, 3)}{digits(rng, 2)}{alnum(rng, 3, string.ascii_lowercase + string.digits)})"
    if kind == 6:
        return f"{text}\n— ref: {hexcode(rng, 6)}-{hexcode(rng, 4)}"
    return f"{text} Your chat reference is {rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}{digits(rng, 5)}."


def time_noise(rng: random.Random, text: str) -> str:
    h24, m, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    h12 = h24 % 12 or 12
    ampm = "am" if h24 < 12 else "pm"
    kind = rng.randrange(7)
    if kind == 0:
        return f"{text} [as of {h24:02d}:{m:02d}:{s:02d} UTC]"
    if kind == 1:
        return f"(updated {h12}:{m:02d} {ampm}) {text}"
    if kind == 2:
        return f"{text} — checked at {h24:02d}:{m:02d}."
    if kind == 3:
        return f"{text}\n\n_Last sync: {h24:02d}:{m:02d} UTC_"
    if kind == 4:
        return f"Status pulled at {h12}:{m:02d}{ampm.upper()}. {text}"
    if kind == 5:
        return f"{text} (data as of {h24:02d}:{m:02d} CET)"
    return f"{text} Info current as of {h12}:{m:02d} {ampm}."


# --------------------------------------------------------------------------------------------------------------------
# voices
# --------------------------------------------------------------------------------------------------------------------
PROSE_VOICES = ["terse", "chatty", "formal"]
OPENERS = {
    "terse": ["", "", "OK.", "Checked."],
    "chatty": ["Hey!", "Hi there!", "Hello! 😊", "Hiya!", "Thanks for waiting!", "Good question!", "Oh, let me look — right."],
    "formal": ["Good afternoon.", "Thank you for contacting us.", "Good morning.", "Thank you for your patience.", "Dear customer,"],
    "markdown": ["**Here's what I found:**", "### Update", "**Summary** 📋", "Sure — here are the details:", "✅ **All checked**"],
}
CLOSERS = {
    "terse": ["", "", "", "Anything else?"],
    "chatty": ["Anything else I can dig into?", "Shout if you need anything else!", "Hope that helps 🙂", "Let me know if there's more I can do.", "Have a lovely day!"],
    "formal": ["Kind regards.", "Please let us know if we can assist further.", "We appreciate your business.", "Should you have further questions, we remain at your disposal."],
    "markdown": ["Need anything else? 🙂", "_Let me know if something looks off._", "", "👉 Reply here if you have questions."],
}
NAMED_OPENERS = {
    "terse": ["{n}:", "{n} —"],
    "chatty": ["Hey {n}!", "Hi {n}! 👋", "Thanks for hanging on, {n}!"],
    "formal": ["Dear {n},", "Good afternoon, {n}.", "Thank you for your message, {n}."],
    "markdown": ["**Hi {n}!**", "👋 Hello {n} — here you go:"],
}
BULLETS = ["- ", "* ", "• ", "✔️ ", "✅ "]


def render(sit: dict, voice: str, rng: random.Random, slots: dict, *, order=None, drop=None, negate=False,
           opener: str | None = None, closer: str | None = None, name: str | None = None) -> str:
    items = list(range(len(sit["say"])))
    if order is not None:
        items = order
    if drop is not None:
        items = [i for i in items if i != drop]
    if voice == "markdown":
        head = opener if opener is not None else (rng.choice(NAMED_OPENERS["markdown"]).format(n=name) if name else rng.choice(OPENERS["markdown"]))
        mark = rng.choice(BULLETS)
        lines = []
        for i in items:
            label, value = sit["bullet"][i]
            if negate and i == sit.get("outcome"):
                label, value = sit["neg_bullet"]
            lines.append(f"{mark}**{label}:** {value.format(**slots)}")
        tail = closer if closer is not None else rng.choice(CLOSERS["markdown"])
        return "\n".join(x for x in [head, "", *lines, "", tail] if x is not None).strip()
    parts = []
    for i in items:
        options = sit["neg"] if negate and i == sit.get("outcome") else sit["say"][i]
        sentence = rng.choice(options)
        if voice == "terse":
            sentence = sentence.replace("I've ", "").replace("We've ", "") if rng.random() < 0.3 else sentence
            sentence = sentence[0].upper() + sentence[1:]
        parts.append(sentence.format(**slots))
    head = opener if opener is not None else (rng.choice(NAMED_OPENERS[voice]).format(n=name) if name else rng.choice(OPENERS[voice]))
    tail = closer if closer is not None else rng.choice(CLOSERS[voice])
    return " ".join(p for p in [head, *parts, tail] if p).strip()


# --------------------------------------------------------------------------------------------------------------------
# situations: what the user asked, what the skills returned, and the sentences that carry the facts
# --------------------------------------------------------------------------------------------------------------------
HOTELS = ["Harbour View Lisbon", "Hotel Amsel Vienna", "The Larchwood Inn", "Casa Marítima Porto", "Nordlys Lodge Tromsø"]
CARRIERS = ["DHL", "UPS", "Royal Mail", "DPD", "PostNord"]
DOCTORS = ["Dr. Okonkwo", "Dr. Varga", "Dr. Lindström", "Dr. Mbeki", "Dr. Castellanos"]
LOCATIONS = ["the Riverside clinic, 2nd floor", "our Elm Street practice", "Building C, entrance 4", "the North Campus health centre"]
DRUGS = ["lisinopril", "sertraline", "levothyroxine", "atorvastatin", "metformin"]
PHARMACIES = ["Boots on King St", "the Walgreens on 5th Ave", "Apotheke am Markt", "the hospital pharmacy"]
MERCHANTS = ["StreamFlix", "QuickCab", "Gadgetory", "Urban Bites", "Skyline Parking"]
PRODUCTS = ["trail runner GTX", "merino crew sweater", "linen shirt", "rain shell jacket", "canvas tote"]
ADDRESSES = ["14 Rue Lafayette, Lyon", "221 Baker Lane, Leeds", "Kastanienallee 9, Berlin", "88 Orchard Road, Singapore", "5 Quay Street, Galway"]


def mkdate(rng: random.Random) -> dt.date:
    return dt.date(2026, 11, 2) + dt.timedelta(days=rng.randint(0, 140))


def mkamount(rng: random.Random, lo: int, hi: int) -> float:
    return float(rng.randint(lo, hi)) if rng.random() < 0.45 else rng.randint(lo * 100, hi * 100) / 100


def situations(rng: random.Random, me: dict) -> list[dict]:
    """Fresh values for every situation; the caller picks one."""
    cur = rng.choice(["USD", "EUR", "GBP"])
    hotel, carrier, doc = rng.choice(HOTELS), rng.choice(CARRIERS), rng.choice(DOCTORS)
    bk = f"BK-{digits(rng, 5)}"
    pnr = alnum(rng, 6)
    acct = f"ACC-{digits(rng, 6)}"
    ordn = f"{rng.choice(['', 'ORD-', 'W'])}{digits(rng, 6)}"
    trx = f"TRX-{digits(rng, 8)}"
    apt = f"APT-{digits(rng, 5)}"
    rx = f"RX{digits(rng, 7)}"
    dsp = f"DSP-{digits(rng, 4)}-{alnum(rng, 3)}"
    track = rng.choice([f"1Z{alnum(rng, 6)}{digits(rng, 8)}", f"JD{digits(rng, 16)}", f"00{digits(rng, 12)}"])
    last4 = digits(rng, 4)
    msisdn = me["phone"]
    addr = rng.choice(ADDRESSES)
    out = []

    def skill(name, args, result, status="ok"):
        return {"name": name, "arguments": args, "status": status, "result": result}

    d, amt = mkdate(rng), mkamount(rng, 40, 900)
    out.append(dict(domain="travel", key="booking", idslot="bk", v=dict(bk=bk, hotel=hotel, nights=rng.randint(2, 6)), date=d, amount=amt, cur=cur,
        message=rng.choice(["can u confirm booking {bk}", "Hi, is my reservation {bk} all set?", "Please double-check booking {bk} for me."]),
        skills=lambda v: [skill("get_booking", {"bookingId": v["bk"]}, {"bookingId": v["bk"], "hotel": v["hotel"], "checkIn": v["_date"], "nights": v["nights"], "total": v["_amount"], "currency": v["_cur"], "status": "confirmed"})],
        say=[["Booking {bk} is confirmed.", "Your reservation {bk} is locked in.", "All good: {bk} shows as confirmed on our side."],
             ["Check-in at {hotel} is on {date}, for {nights} nights.", "You arrive at {hotel} on {date} and stay {nights} nights.", "{hotel} expects you on {date} ({nights} nights)."],
             ["The total is {amt}, already paid.", "You were charged {amt} in total.", "Total paid so far: {amt}."]],
        bullet=[("Booking", "{bk} — confirmed"), ("Check-in", "{date} at {hotel}, {nights} nights"), ("Total", "{amt}, paid")],
        outcome=0, neg=["Booking {bk} is not confirmed — the hotel hasn't accepted it.", "Reservation {bk} was declined by the property, I'm afraid.", "{bk} could not be confirmed."],
        neg_bullet=("Booking", "{bk} — ❌ not confirmed")))

    d, amt = mkdate(rng), mkamount(rng, 25, 180)
    out.append(dict(domain="travel", key="flight-change", idslot="pnr", v=dict(pnr=pnr, email=me["email"]), date=d, amount=amt, cur=cur,
        message=rng.choice(["I need to move flight {pnr} to a later date", "can you push my flight {pnr} back a few days?", "Rebook {pnr} please, the first available day after my original one."]),
        skills=lambda v: [skill("change_flight", {"pnr": v["pnr"], "newDate": v["_date"]}, {"pnr": v["pnr"], "departure": v["_date"], "changeFee": v["_amount"], "currency": v["_cur"], "contact": v["email"], "status": "changed"})],
        say=[["Flight {pnr} now departs on {date}.", "I've moved booking {pnr} to {date}.", "Your flight {pnr} is rebooked for {date}."],
             ["A change fee of {amt} went on your card.", "The airline charged a {amt} change fee.", "There's a {amt} change fee, billed to the card on file."],
             ["The new e-ticket is on its way to {email}.", "You'll get the updated e-ticket at {email}.", "The revised itinerary was emailed to {email}."]],
        bullet=[("New departure", "{date} (booking {pnr})"), ("Change fee", "{amt}"), ("E-ticket", "sent to {email}")],
        outcome=0, neg=["I couldn't move {pnr}; the fare rules don't allow a date change.", "The airline rejected the change to {pnr}, so it still departs as before.", "Unfortunately {pnr} can't be rebooked."],
        neg_bullet=("New departure", "❌ change to {pnr} rejected")))

    d, amt = mkdate(rng), mkamount(rng, 120, 2400)
    out.append(dict(domain="travel", key="trip-refund", idslot="bk", v=dict(bk=bk), date=d, amount=amt, cur=cur,
        message=rng.choice(["refund for my cancelled trip {bk}?", "The tour {bk} got cancelled by you guys. When do I get my money back?", "I'd like the refund for booking {bk}, which was cancelled."]),
        skills=lambda v: [skill("issue_refund", {"bookingId": v["bk"]}, {"bookingId": v["bk"], "refunded": v["_amount"], "currency": v["_cur"], "expectedBy": v["_date"], "status": "refunded"})],
        say=[["We've refunded {amt} for {bk}.", "A refund of {amt} for booking {bk} has gone through.", "{amt} is on its way back to you for {bk}."],
             ["Expect it on your statement by {date}.", "It should show up on your card by {date}.", "Banks usually post it by {date}."]],
        bullet=[("Refund", "{amt} for {bk}"), ("On your statement by", "{date}")],
        outcome=0, neg=["We couldn't process the refund for {bk}.", "The refund for {bk} was declined because the fare is non-refundable.", "I'm sorry, {bk} isn't eligible for a refund."],
        neg_bullet=("Refund", "❌ declined for {bk}")))

    d, amt = mkdate(rng), mkamount(rng, 60, 420)
    out.append(dict(domain="travel", key="availability", idslot=None, v=dict(hotel=hotel), date=d, amount=amt, cur=cur,
        message=rng.choice(["any rooms at {hotel} on {date}?", "Is {hotel} free on {date}? Two adults.", "Checking availability at {hotel} for {date}, please."]),
        skills=lambda v: [skill("check_availability", {"hotel": v["hotel"], "date": v["_date"]}, {"hotel": v["hotel"], "date": v["_date"], "available": True, "rooms": 4, "fromRate": v["_amount"], "currency": v["_cur"]})],
        say=[["Yes, {hotel} has rooms free on {date}.", "Good news, there's availability at {hotel} for {date}.", "{hotel} still has rooms on {date}."],
             ["The best rate is {amt} per night.", "Rooms start at {amt} a night.", "Nightly price starts from {amt}."]],
        bullet=[("Availability", "rooms free at {hotel} on {date}"), ("From", "{amt} / night")],
        outcome=0, neg=["{hotel} is fully booked on {date}.", "Sorry, there's nothing left at {hotel} on {date}.", "No rooms are free at {hotel} for {date}."],
        neg_bullet=("Availability", "❌ {hotel} sold out on {date}")))

    d, amt, amt2 = mkdate(rng), mkamount(rng, 60, 260), mkamount(rng, 15, 55)
    out.append(dict(domain="telecom", key="bill", idslot="acct", v=dict(acct=acct, amt2=fmt_amount(amt2, cur, "symbol_cents")), date=d, amount=amt, cur=cur,
        message=rng.choice(["why is my bill so high this month? account {acct}", "Bill for {acct} looks wrong, can you explain?", "what do I owe on {acct}"]),
        skills=lambda v: [skill("get_bill", {"accountId": v["acct"]}, {"accountId": v["acct"], "amountDue": v["_amount"], "currency": v["_cur"], "dueDate": v["_date"], "roaming": v["amt2"], "autopay": True})],
        say=[["The balance on {acct} is {amt}, due {date}.", "Account {acct} owes {amt} this cycle, payable by {date}.", "You have {amt} outstanding on {acct}; the due date is {date}."],
             ["Most of the jump is roaming: {amt2} from your trip.", "Roaming charges of {amt2} explain the increase.", "{amt2} of it is data roaming abroad."],
             ["Autopay is on, so it will be collected automatically.", "It'll be paid automatically through autopay.", "No action needed — autopay takes care of it."]],
        bullet=[("Balance", "{amt} on {acct}, due {date}"), ("Roaming", "{amt2}"), ("Autopay", "on ✓")],
        outcome=2, neg=["Autopay is switched off, so you'll need to pay it manually.", "Your autopay failed, so this won't be collected automatically.", "Autopay isn't set up — please pay it yourself."],
        neg_bullet=("Autopay", "❌ off — pay manually")))

    d, amt = mkdate(rng), mkamount(rng, 20, 85)
    out.append(dict(domain="telecom", key="plan-change", idslot="acct", v=dict(acct=acct), date=d, amount=amt, cur=cur,
        message=rng.choice(["switch {acct} to the Unlimited 5G plan", "I'd like Unlimited 5G on account {acct} please", "upgrade me to unlimited 5g, acct {acct}"]),
        skills=lambda v: [skill("change_plan", {"accountId": v["acct"], "plan": "Unlimited 5G"}, {"accountId": v["acct"], "plan": "Unlimited 5G", "monthly": v["_amount"], "currency": v["_cur"], "effective": v["_date"], "status": "ok"})],
        say=[["Account {acct} is now on Unlimited 5G.", "I've switched {acct} to Unlimited 5G.", "Plan changed to Unlimited 5G for {acct}."],
             ["It costs {amt} a month.", "The monthly price is {amt}.", "You'll pay {amt} per month."],
             ["The new price starts on {date}.", "Billing at the new rate begins {date}.", "It takes effect from {date}."]],
        bullet=[("Plan", "Unlimited 5G on {acct}"), ("Monthly", "{amt}"), ("Effective", "{date}")],
        outcome=0, neg=["I couldn't switch {acct} to Unlimited 5G; your contract blocks plan changes for now.", "The switch to Unlimited 5G on {acct} didn't go through.", "Unlimited 5G can't be applied to {acct} right now."],
        neg_bullet=("Plan", "❌ change on {acct} refused")))

    d = mkdate(rng)
    out.append(dict(domain="telecom", key="sim-delivery", idslot="track", v=dict(ordn=ordn, track=track, carrier=carrier), date=d, amount=None, cur=cur,
        history=["I ordered a replacement SIM last week, order {ordn}"],
        message=rng.choice(["where's my SIM?", "any update on the new SIM card?", "Still no SIM. What's going on?"]),
        skills=lambda v: [skill("track_shipment", {"orderId": v["ordn"]}, {"orderId": v["ordn"], "carrier": v["carrier"], "trackingNumber": v["track"], "eta": v["_date"], "state": "in_transit"})],
        say=[["Your SIM for order {ordn} shipped with {carrier}.", "The SIM from order {ordn} is with {carrier} now.", "{carrier} picked up the SIM (order {ordn})."],
             ["Tracking number: {track}.", "You can follow it with tracking {track}.", "Its tracking code is {track}."],
             ["It should arrive on {date}.", "Expected delivery is {date}.", "{carrier} estimates {date} for delivery."]],
        bullet=[("Order", "{ordn} — shipped with {carrier}"), ("Tracking", "{track}"), ("ETA", "{date}")],
        outcome=0, neg=["The SIM for order {ordn} hasn't shipped — the order was cancelled.", "Order {ordn} was cancelled, so no SIM is on its way.", "Nothing has shipped for {ordn}; it got cancelled."],
        neg_bullet=("Order", "❌ {ordn} cancelled, not shipped")))

    out.append(dict(domain="telecom", key="data-steps", idslot="msisdn", v=dict(msisdn=msisdn), date=None, amount=None, cur=cur,
        message=rng.choice(["mobile data not working on {msisdn}", "My data stopped working this morning, number is {msisdn}", "no internet on my phone ({msisdn}) help"]),
        skills=lambda v: [skill("get_line_status", {"msisdn": v["msisdn"]}, {"msisdn": v["msisdn"], "status": "active", "dataEnabled": True})],
        say=[["Your line {msisdn} is active and data is enabled on our side.", "On our end {msisdn} looks fine: active, data on.", "Line {msisdn} is active with data switched on in our system."],
             ["First, toggle mobile data off and on under Settings > Mobile network.", "Go to Settings, then Mobile network, and switch mobile data off and back on.", "Start by turning mobile data off and on again in Settings > Mobile network."],
             ["Then set the APN to 'internet.carrier' and save it.", "Next, make sure the APN reads 'internet.carrier', then save.", "After that, check that the APN is 'internet.carrier' and save."],
             ["Finally, restart the phone.", "Last step: reboot the handset.", "Then give the phone a full restart."]],
        bullet=[("Line", "{msisdn} active, data on"), ("Step 1", "toggle mobile data in Settings > Mobile network"), ("Step 2", "APN = internet.carrier, save"), ("Step 3", "restart the phone")],
        outcome=0, neg=["Your line {msisdn} is suspended, so data is blocked on our side.", "Line {msisdn} is barred for data right now.", "Data is disabled on {msisdn} in our system."],
        neg_bullet=("Line", "❌ {msisdn} suspended, data blocked")))

    d, amt = mkdate(rng), mkamount(rng, 50, 5000)
    payee = person(rng)["full"]
    out.append(dict(domain="banking", key="transfer", idslot="trx", v=dict(trx=trx, payee=payee), date=d, amount=amt, cur=cur,
        message=rng.choice(["did transfer {trx} go through", "Can you confirm the payment {trx} to {payee}?", "status of {trx}?"]),
        skills=lambda v: [skill("get_transfer", {"transferId": v["trx"]}, {"transferId": v["trx"], "amount": v["_amount"], "currency": v["_cur"], "payee": v["payee"], "valueDate": v["_date"], "status": "completed"})],
        say=[["Transfer {trx} went through.", "Yes, {trx} has been completed.", "Payment {trx} was successful."],
             ["{amt} was sent to {payee}.", "{payee} received {amt}.", "The amount of {amt} went to {payee}."],
             ["It was credited on {date}.", "The value date is {date}.", "Funds landed on {date}."]],
        bullet=[("Transfer", "{trx} ✓ completed"), ("Amount", "{amt} to {payee}"), ("Value date", "{date}")],
        outcome=0, neg=["Transfer {trx} was rejected by the receiving bank.", "No — {trx} failed and was not sent.", "{trx} didn't go through."],
        neg_bullet=("Transfer", "{trx} ❌ failed")))

    d, amt = mkdate(rng), mkamount(rng, 5, 25)
    out.append(dict(domain="banking", key="card-replace", idslot="last4", v=dict(last4=last4), date=d, amount=amt, cur=cur,
        message=rng.choice(["my card ending {last4} was stolen", "Lost my debit card (ends in {last4}), please block it and send a new one.", "card {last4} stolen!! block it"]),
        skills=lambda v: [skill("block_card", {"last4": v["last4"]}, {"blocked": True}), skill("order_card", {"last4": v["last4"]}, {"deliveryBy": v["_date"], "fee": v["_amount"], "currency": v["_cur"]})],
        say=[["I've blocked the card ending {last4}.", "The card ending in {last4} is now blocked.", "Card {last4} is frozen, nobody can use it."],
             ["A replacement should reach you by {date}.", "Your new card is on its way and should arrive by {date}.", "Expect the replacement by {date}."],
             ["The replacement fee of {amt} will appear on your next statement.", "There's a {amt} replacement fee on your next statement.", "We'll charge {amt} for the new card."]],
        bullet=[("Card", "ending {last4} — blocked 🔒"), ("Replacement", "arrives by {date}"), ("Fee", "{amt}")],
        outcome=0, neg=["I wasn't able to block the card ending {last4}; please call the 24/7 hotline now.", "The block on card {last4} failed — it is still active.", "Card {last4} could not be blocked from here."],
        neg_bullet=("Card", "ending {last4} — ❌ still active")))

    d, amt = mkdate(rng), mkamount(rng, 10, 600)
    merchant = rng.choice(MERCHANTS)
    out.append(dict(domain="banking", key="dispute", idslot="dsp", v=dict(dsp=dsp, merchant=merchant), date=d, amount=amt, cur=cur,
        message=rng.choice(["I want to dispute a charge from {merchant}", "There's a {merchant} payment I never made.", "dispute {merchant} charge pls"]),
        skills=lambda v: [skill("open_dispute", {"merchant": v["merchant"]}, {"disputeId": v["dsp"], "amount": v["_amount"], "currency": v["_cur"], "provisionalCredit": True, "decisionBy": v["_date"]})],
        say=[["I've opened dispute {dsp} for the {merchant} charge.", "Dispute {dsp} is now open for the {merchant} payment.", "The {merchant} charge is under dispute as {dsp}."],
             ["A provisional credit of {amt} is already on your account.", "We've put {amt} back on your account provisionally.", "You've received a temporary credit of {amt}."],
             ["You'll hear back by {date}.", "Expect a decision by {date}.", "The investigation should finish by {date}."]],
        bullet=[("Dispute", "{dsp} — {merchant}"), ("Provisional credit", "{amt} ✓"), ("Decision by", "{date}")],
        outcome=1, neg=["We can't give a provisional credit for this charge.", "No provisional credit was granted for the {amt}.", "The temporary credit was refused for this one."],
        neg_bullet=("Provisional credit", "❌ refused")))

    out.append(dict(domain="banking", key="address", idslot=None, v=dict(addr=addr, email=me["email"]), date=None, amount=None, cur=cur,
        message=rng.choice(["please change my address to {addr}", "I moved — new address is {addr}.", "update address: {addr}"]),
        skills=lambda v: [skill("update_address", {"address": v["addr"]}, {"status": "ok", "address": v["addr"], "notify": v["email"]})],
        say=[["Your mailing address is now {addr}.", "I've updated the address on file to {addr}.", "{addr} is saved as your new address."],
             ["We emailed a confirmation to {email}.", "A confirmation is in your inbox at {email}.", "You'll find a confirmation at {email}."]],
        bullet=[("Address", "{addr} ✓"), ("Confirmation", "sent to {email}")],
        outcome=0, neg=["I couldn't update your address to {addr}; it failed verification.", "The change to {addr} was not saved.", "Your address could not be updated to {addr}."],
        neg_bullet=("Address", "❌ {addr} rejected")))

    d = mkdate(rng)
    loc = rng.choice(LOCATIONS)
    out.append(dict(domain="clinic", key="appointment", idslot="apt", v=dict(apt=apt, doc=doc, loc=loc), date=d, amount=None, cur=cur,
        message=rng.choice(["can I see {doc} next week?", "Need an appointment with {doc}, whatever's first.", "book me in with {doc} pls"]),
        skills=lambda v: [skill("book_appointment", {"clinician": v["doc"]}, {"appointmentId": v["apt"], "clinician": v["doc"], "date": v["_date"], "location": v["loc"]})],
        say=[["You're booked with {doc} on {date}.", "{doc} will see you on {date}.", "I've reserved a visit with {doc} for {date}."],
             ["Your appointment number is {apt}.", "Keep {apt} as your appointment reference.", "The booking is filed under {apt}."],
             ["Please come ten minutes early to {loc}.", "Check in at {loc} ten minutes before.", "The visit is at {loc}; arrive ten minutes early."]],
        bullet=[("Visit", "{doc}, {date}"), ("Appointment", "{apt}"), ("Where", "{loc}, ten minutes early please")],
        outcome=0, neg=["I couldn't book you with {doc}; there are no open slots on {date}.", "{doc} has nothing free on {date}, so no visit was booked.", "Booking with {doc} on {date} failed."],
        neg_bullet=("Visit", "❌ no slot with {doc} on {date}")))

    amt = mkamount(rng, 3, 40)
    drug, pharmacy = rng.choice(DRUGS), rng.choice(PHARMACIES)
    out.append(dict(domain="clinic", key="refill", idslot="rx", v=dict(rx=rx, drug=drug, pharmacy=pharmacy), date=None, amount=amt, cur=cur,
        message=rng.choice(["is my {drug} refill ready?", "Refill {rx} — can I pick it up?", "checking on prescription {rx}"]),
        skills=lambda v: [skill("get_prescription", {"drug": v["drug"]}, {"rxId": v["rx"], "drug": v["drug"], "status": "ready", "pharmacy": v["pharmacy"], "copay": v["_amount"], "currency": v["_cur"]})],
        say=[["Your {drug} refill ({rx}) is ready for pickup at {pharmacy}.", "Prescription {rx} for {drug} is ready at {pharmacy}.", "{pharmacy} has your {drug} refill {rx} ready."],
             ["The copay is {amt}.", "You'll pay {amt} at the counter.", "Expect a copay of {amt}."]],
        bullet=[("Refill", "{drug} ({rx}) ready ✓ at {pharmacy}"), ("Copay", "{amt}")],
        outcome=0, neg=["Your {drug} refill ({rx}) is not ready; the pharmacy is waiting for the doctor's approval.", "Prescription {rx} isn't ready for pickup yet.", "{rx} for {drug} can't be picked up yet."],
        neg_bullet=("Refill", "{drug} ({rx}) ❌ not ready")))

    amt = mkamount(rng, 15, 75)
    out.append(dict(domain="clinic", key="cancel", idslot="apt", v=dict(apt=apt), date=None, amount=amt, cur=cur,
        message=rng.choice(["I need to cancel appointment {apt}", "cancel {apt}, something came up", "Please cancel my visit, ref {apt}."]),
        skills=lambda v: [skill("cancel_appointment", {"appointmentId": v["apt"]}, {"appointmentId": v["apt"], "status": "cancelled", "lateFee": v["_amount"], "currency": v["_cur"]})],
        say=[["Appointment {apt} is cancelled.", "I've cancelled {apt} for you.", "{apt} has been taken off the schedule."],
             ["Because it's within 24 hours, a late-cancellation fee of {amt} applies.", "A {amt} late-cancellation fee applies since it's less than 24 hours away.", "There's a {amt} fee for cancelling inside 24 hours."]],
        bullet=[("Appointment", "{apt} — cancelled"), ("Late fee", "{amt} (less than 24 hours' notice)")],
        outcome=0, neg=["I couldn't cancel {apt}; it has to be done by phone this close to the visit.", "{apt} is still on the schedule — the cancellation failed.", "Cancelling {apt} online isn't possible, it remains booked."],
        neg_bullet=("Appointment", "{apt} — ❌ still booked")))

    d = mkdate(rng)
    clinic_phone = f"+1 (555) 01{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
    out.append(dict(domain="clinic", key="labs", idslot=None, v=dict(doc=doc, cphone=clinic_phone), date=d, amount=None, cur=cur,
        message=rng.choice(["are my blood test results in?", "Any news on my lab work?", "labs back yet?"]),
        skills=lambda v: [skill("get_lab_results", {}, {"status": "available", "collected": v["_date"], "reviewedBy": v["doc"], "clinicPhone": v["cphone"]})],
        say=[["Your results from {date} are in the patient portal.", "The labs collected on {date} are available in the portal.", "Results for your {date} blood draw are ready to view online."],
             ["{doc} has reviewed them.", "They've been reviewed by {doc}.", "{doc} already signed off on them."],
             ["Questions? Call the clinic at {cphone}.", "If anything's unclear, the clinic line is {cphone}.", "You can reach the care team on {cphone}."]],
        bullet=[("Results", "{date} — available ✓"), ("Reviewed by", "{doc}"), ("Questions", "{cphone}")],
        outcome=0, neg=["Your results from {date} aren't available yet.", "The labs from {date} are still pending.", "Nothing is back yet for the {date} draw."],
        neg_bullet=("Results", "{date} — ⏳ pending")))

    d = mkdate(rng)
    out.append(dict(domain="shop", key="order-status", idslot="ordn", v=dict(ordn=ordn, carrier=carrier, track=track), date=d, amount=None, cur=cur,
        message=rng.choice(["where is my order {ordn}", "Order {ordn} — any news?", "has {ordn} shipped yet??"]),
        skills=lambda v: [skill("get_order", {"orderId": v["ordn"]}, {"orderId": v["ordn"], "state": "shipped", "carrier": v["carrier"], "trackingNumber": v["track"], "eta": v["_date"]})],
        say=[["Order {ordn} left our warehouse and is with {carrier}.", "{carrier} has order {ordn} now.", "Your parcel {ordn} is on the road with {carrier}."],
             ["Tracking: {track}.", "Use tracking number {track} on the {carrier} site.", "The tracking reference is {track}."],
             ["Estimated delivery: {date}.", "It should be with you on {date}.", "{carrier} expects to deliver on {date}."]],
        bullet=[("Order", "{ordn} 📦 with {carrier}"), ("Tracking", "{track}"), ("Delivery", "{date}")],
        outcome=0, neg=["Order {ordn} hasn't shipped yet; it's still at the warehouse.", "{ordn} is still waiting to be dispatched.", "Nothing has left the warehouse for {ordn} so far."],
        neg_bullet=("Order", "{ordn} ⏳ not shipped")))

    d, amt = mkdate(rng), mkamount(rng, 20, 320)
    item = rng.choice(PRODUCTS)
    out.append(dict(domain="shop", key="return", idslot="ordn", v=dict(ordn=ordn, item=item), date=d, amount=amt, cur=cur,
        message=rng.choice(["I sent back the {item} from order {ordn}, where's my money?", "return for {ordn} — refunded yet?", "Did you get my {item} return? Order {ordn}."]),
        skills=lambda v: [skill("get_return", {"orderId": v["ordn"]}, {"orderId": v["ordn"], "item": v["item"], "refund": v["_amount"], "currency": v["_cur"], "state": "refunded", "refundedOn": v["_date"]})],
        say=[["We received the {item} and refunded {amt} to your original payment method.", "Your {item} arrived back and {amt} was refunded.", "The {item} return is done: {amt} refunded to your card."],
             ["The refund went out on {date} for order {ordn}.", "It was issued on {date} (order {ordn}).", "Refund date for {ordn}: {date}."]],
        bullet=[("Return", "{item} received, {amt} refunded ✅"), ("Issued", "{date}, order {ordn}")],
        outcome=0, neg=["We received the {item}, but we couldn't refund it — the tags were removed.", "The {item} came back, but the refund was refused.", "Your {item} return was rejected, so no money was refunded."],
        neg_bullet=("Return", "{item} ❌ refund refused")))

    amt = mkamount(rng, 15, 260)
    item, size = rng.choice(PRODUCTS), rng.choice(["S", "M", "L", "XL", "42", "44"])
    out.append(dict(domain="shop", key="stock", idslot=None, v=dict(item=item, size=size), date=None, amount=amt, cur=cur,
        message=rng.choice(["do you have the {item} in {size}?", "Is the {item} available in size {size}?", "{item} size {size} in stock?"]),
        skills=lambda v: [skill("check_stock", {"product": v["item"], "size": v["size"]}, {"product": v["item"], "size": v["size"], "inStock": True, "price": v["_amount"], "currency": v["_cur"]})],
        say=[["Yes, the {item} in {size} is in stock.", "We have the {item} in size {size} right now.", "Size {size} of the {item} is available."],
             ["It's {amt}.", "It sells for {amt}.", "Price: {amt}."]],
        bullet=[("{item}, size {size}", "in stock ✅"), ("Price", "{amt}")],
        outcome=0, neg=["The {item} in {size} is out of stock.", "Sorry, size {size} of the {item} is sold out.", "We don't have the {item} in {size} at the moment."],
        neg_bullet=("{item}, size {size}", "❌ out of stock")))

    d = mkdate(rng)
    out.append(dict(domain="shop", key="ship-address", idslot="ordn", v=dict(ordn=ordn, addr=addr), date=d, amount=None, cur=cur,
        message=rng.choice(["ship order {ordn} to {addr} instead", "Can {ordn} go to {addr}? I won't be home.", "change delivery address for {ordn} → {addr}"]),
        skills=lambda v: [skill("update_shipping_address", {"orderId": v["ordn"], "address": v["addr"]}, {"status": "ok", "eta": v["_date"]})],
        say=[["Order {ordn} will now ship to {addr}.", "I've redirected {ordn} to {addr}.", "{ordn} is going to {addr} instead."],
             ["Delivery is still expected on {date}.", "It should still arrive on {date}.", "The delivery date stays {date}."]],
        bullet=[("Order", "{ordn} → {addr} ✓"), ("Delivery", "{date}")],
        outcome=0, neg=["I couldn't change the address for {ordn}; it's already with the carrier.", "{ordn} can't be redirected to {addr} any more.", "The address on {ordn} could not be updated."],
        neg_bullet=("Order", "{ordn} ❌ address unchanged")))
    return out


# --------------------------------------------------------------------------------------------------------------------
# small talk
# --------------------------------------------------------------------------------------------------------------------
SMALL_TALK = {
    "thanks": (["thanks!", "cheers", "thank you so much", "ok thx", "great, thanks for the help", "appreciate it 🙏"],
               ["No problem at all.", "Any time.", "Not a problem — I'm here if something else comes up.", "Of course. Is there anything further?", "Pleasure. Reach out whenever you need us.", "Sure, that's what I'm here for."],
               ["Anytime! 🙌", "No worries at all — ping me if anything else pops up.", "You got it! Have a good one.", "Sure thing 😊 Let me know if you need anything else.", "**Any time!** Anything else on your mind?", "Glad that's sorted ✅", "Of course! Take care."]),
    "bye": (["bye", "that's all for now", "ok I'm done, bye", "see ya", "goodnight", "gotta run"],
            ["Take it easy. Bye for now.", "Talk soon.", "All the best — goodbye.", "Have a good evening.", "Cheerio!", "Thanks for chatting. Bye."],
            ["See you around! 👋", "Bye! Safe travels.", "Catch you later.", "Good night, and thanks for reaching out.", "Until next time ✌️", "Have a great rest of your day — bye!"]),
    "hello": (["hi", "hello?", "hey there", "good morning", "yo", "hiya"],
              ["Hello. What do you need help with?", "Hi — what brings you here today?", "Morning! What can I look into for you?", "Hi there. Tell me what's going on and I'll take a look.", "Hello, you're through to support. How may I assist?"],
              ["Hey! 👋 What's up?", "Hi! Ask me anything about your account.", "Hello and welcome — how can I assist?", "Hey hey, what can I sort out for you?", "**Hi!** What do you need today?", "Good to see you! What's on your mind?"]),
    "ack": (["ok", "got it", "cool", "alright, makes sense", "k"],
            ["Great.", "Perfect.", "Sounds good.", "Okay!", "Good."],
            ["Awesome 👍", "Brilliant.", "Right you are.", "Noted ✔️", "Nice!"]),
    "howareyou": (["how are you today?", "how's it going", "you doing ok?"],
                  ["I'm doing well, thanks for asking. What can I help with?", "All good here! What do you need?", "Very well, thank you. How can I be of service?"],
                  ["Pretty great, thanks! 😄 What brings you in?", "Doing fine — ready when you are. What's up?", "Can't complain! How can I help today?"]),
}


# --------------------------------------------------------------------------------------------------------------------
# records per class
# --------------------------------------------------------------------------------------------------------------------
OK_CLASSES = ["reworded-small-talk", "reordered-sentences", "markdown", "date-styles", "generated-reference-codes",
              "times-of-day", "currency-styles", "different-greetings", "deterministic-old-noisy-new"]
REG_CLASSES = ["changed-amount", "changed-currency", "changed-date", "changed-id", "negated-outcome", "dropped-content",
               "wrong-name-from-memory", "other-users-data"]
EXPECT = {"changed-amount": "reply.facts.amount", "changed-currency": "reply.facts.amount", "changed-date": "reply.facts.date",
          "changed-id": "reply.facts.id", "negated-outcome": "reply.polarity", "wrong-name-from-memory": "reply.facts.name"}
SIDE_MEMORY = ["prefers email over phone", "travels with a dog", "speaks Portuguese at home", "asked about loyalty points in October",
               "usually shops for running gear", "works night shifts"]


def eligible(cls: str, sit: dict) -> bool:
    if cls in ("changed-amount", "changed-currency", "currency-styles"):
        return sit["amount"] is not None
    if cls in ("changed-date", "date-styles"):
        return sit["date"] is not None
    if cls == "changed-id":
        return sit["idslot"] is not None and sit["idslot"] not in ("last4",)
    if cls in ("reordered-sentences", "dropped-content"):
        return len(sit["say"]) >= 2
    return True


def lane_slots(sit: dict, date_style: str, cur_style: str, *, date=None, amount=None, cur=None, overrides=None) -> dict:
    s = dict(sit["v"])
    d = date if date is not None else sit["date"]
    a = amount if amount is not None else sit["amount"]
    c = cur if cur is not None else sit["cur"]
    if d is not None:
        s["date"] = fmt_date(d, date_style)
    if a is not None:
        s["amt"] = fmt_amount(a, c, cur_style)
    s.update(overrides or {})
    return s


def changed_amount(rng: random.Random, a: float) -> float:
    kind = rng.randrange(4)
    if kind == 0:  # transposed digits
        s = f"{a:.2f}".replace(".", "")
        for _ in range(10):
            t = typo(rng, s)
            b = int(t) / 100
            if b > 0 and abs(b - a) > 0.009:
                return b
    if kind == 1:
        return round(a * rng.choice([1.1, 1.25, 0.8, 0.5, 2.0]), 2)
    if kind == 2:
        return round(a + rng.choice([-10, 10, 5, -5, 1, 100]), 2) if a > 101 else round(a + rng.choice([10, 5, 1]), 2)
    return round(a * 10, 2) if a < 100 else round(a / 10, 2)


def build(cls: str, idx: int, rng: random.Random) -> dict:
    me = person(rng)
    label = "ok" if cls in OK_CLASSES else "regression"
    noise_ref = rng.random() < 0.55
    ds, cs = rng.choice(DATE_STYLES), rng.choice(CUR_STYLES)
    old_voice, new_voice = rng.choice(PROSE_VOICES), rng.choice(PROSE_VOICES)
    memory = None
    if rng.random() < 0.25:
        memory = {"retrieved": [{"text": rng.choice(SIDE_MEMORY)}], "written": []}

    def noisy(text: str, force=False) -> str:
        return ref_noise(rng, text) if (noise_ref or force) else text

    if cls == "reworded-small-talk":
        kind = rng.choice(list(SMALL_TALK))
        msgs, old_pool, new_pool = SMALL_TALK[kind]
        a, a2 = rng.sample(old_pool, 2) if rng.random() < 0.7 else [rng.choice(old_pool)] * 2
        b = rng.choice(new_pool)
        rec = dict(id=f"smalltalk-{kind}-{idx:03d}", domain="smalltalk", history=[], message=rng.choice(msgs), skills=[], a=a, a2=a2, b=b)
        if rng.random() < 0.3:
            rec["b2"] = rng.choice([x for x in new_pool if x != b])
        return finish(rec, cls, label, memory)

    sits = [s for s in situations(rng, me) if eligible(cls, s)]
    sit = rng.choice(sits)
    name = None
    if cls in ("wrong-name-from-memory",) or (cls == "different-greetings" and rng.random() < 0.4):
        name = me["first"]
        memory = {"retrieved": [{"text": rng.choice([f"User's name is {name}", f"Customer prefers to be called {name}", f"name: {me['full']} (goes by {name})", f"{name} — loyalty tier gold"])}], "written": []}
        old_voice = rng.choice(["chatty", "formal", "terse"])
        new_voice = rng.choice(["chatty", "formal", "terse"])

    base = lane_slots(sit, ds, cs)
    v = dict(sit["v"])
    v["_date"] = sit["date"].isoformat() if sit["date"] else None
    v["_amount"] = sit["amount"]
    v["_cur"] = sit["cur"]
    fmt_inputs = dict(base)
    message = sit["message"].format(**fmt_inputs)
    history = [h.format(**fmt_inputs) for h in sit.get("history", [])]
    skills = sit["skills"](v)
    n = len(sit["say"])
    rec = dict(id=f"{sit['domain']}-{sit['key']}-{idx:03d}", domain=sit["domain"], history=history, message=message, skills=skills)

    def old(slots=base, **kw):
        return noisy(render(sit, old_voice, rng, slots, name=name, **kw))

    def new(slots=base, voice=None, **kw):
        return noisy(render(sit, voice or new_voice, rng, slots, name=name, **kw))

    if cls == "reordered-sentences":
        order = list(range(n))
        while order == list(range(n)):
            rng.shuffle(order)
        rec.update(a=old(), a2=old(), b=new(order=order))
    elif cls == "markdown":
        if rng.random() < 0.7:
            rec.update(a=old(), a2=old(), b=new(voice="markdown"))
        else:
            rec.update(a=noisy(render(sit, "markdown", rng, base)), a2=noisy(render(sit, "markdown", rng, base)), b=new())
    elif cls == "date-styles":
        other = rng.choice([s for s in DATE_STYLES if s != ds])
        rec.update(a=old(), a2=old(), b=new(lane_slots(sit, other, cs)))
        if rng.random() < 0.3:
            rec["b2"] = new(lane_slots(sit, rng.choice([s for s in DATE_STYLES if s != ds]), cs))
    elif cls == "generated-reference-codes":
        rec.update(a=ref_noise(rng, render(sit, old_voice, rng, base)), a2=ref_noise(rng, render(sit, old_voice, rng, base)),
                   b=ref_noise(rng, render(sit, new_voice, rng, base)))
        if rng.random() < 0.3:
            rec["b2"] = ref_noise(rng, render(sit, new_voice, rng, base))
    elif cls == "times-of-day":
        rec.update(a=time_noise(rng, old()), a2=time_noise(rng, old()), b=time_noise(rng, new()))
    elif cls == "currency-styles":
        other = rng.choice([s for s in CUR_STYLES if s != cs])
        rec.update(a=old(), a2=old(), b=new(lane_slots(sit, ds, other)))
    elif cls == "different-greetings":
        kw = {}
        opener_pool = NAMED_OPENERS if name else OPENERS
        greet_a = [g for g in opener_pool[old_voice] if g]
        greet_b = [g for g in NAMED_OPENERS["chatty"] + NAMED_OPENERS["formal"] if g] if name else [g for g in OPENERS["chatty"] + OPENERS["formal"] if g]
        ga = rng.choice(greet_a).format(n=name)
        gb = rng.choice([g for g in greet_b if g.format(n=name) != ga]).format(n=name)
        rec.update(a=old(opener=ga, **kw), a2=old(opener=rng.choice(greet_a).format(n=name)), b=new(opener=gb, voice=old_voice))
    elif cls == "deterministic-old-noisy-new":
        a = render(sit, old_voice, rng, base, opener="", closer="")
        b = render(sit, new_voice, rng, base)
        b = ref_noise(rng, b) if rng.random() < 0.8 else b
        b = time_noise(rng, b) if rng.random() < 0.5 else b
        rec.update(a=a, a2=a, b=b)
        if rng.random() < 0.4:
            rec["b2"] = ref_noise(rng, render(sit, new_voice, rng, base))
    elif cls == "changed-amount":
        amt2 = changed_amount(rng, sit["amount"])
        bad = lane_slots(sit, ds, cs, amount=amt2)
        assert bad["amt"] != base["amt"], (base["amt"], bad["amt"])
        rec.update(a=old(), a2=old(), b=new(bad))
        if rng.random() < 0.3:
            rec["b2"] = new(bad)
    elif cls == "changed-currency":
        other = rng.choice([c for c in SYMBOL if c != sit["cur"]])
        bad = lane_slots(sit, ds, cs, cur=other)
        rec.update(a=old(), a2=old(), b=new(bad))
    elif cls == "changed-date":
        shift = rng.choice([-14, -7, -3, -2, -1, 1, 2, 3, 5, 7, 10, 30])
        style_b = ds if rng.random() < 0.7 else rng.choice(DATE_STYLES)
        bad = lane_slots(sit, style_b, cs, date=sit["date"] + dt.timedelta(days=shift))
        rec.update(a=old(), a2=old(), b=new(bad))
        if rng.random() < 0.3:
            rec["b2"] = new(bad)
    elif cls == "changed-id":
        slot = sit["idslot"]
        good = sit["v"][slot]
        if rng.random() < 0.5:
            wrong = typo(rng, good)
        else:
            wrong = good
            while wrong == good:
                wrong = typo(rng, typo(rng, typo(rng, good)))
        rec.update(a=old(), a2=old(), b=new(lane_slots(sit, ds, cs, overrides={slot: wrong})))
        assert good not in rec["b"] and wrong in rec["b"], (good, wrong, rec["b"])
        if slot == "msisdn":
            rec["expectKey"] = "reply.facts.phone"  # the id this situation states is the customer's phone number
    elif cls == "negated-outcome":
        rec.update(a=old(), a2=old(), b=new(negate=True, voice=rng.choice([new_voice, new_voice, "markdown"])))
    elif cls == "dropped-content":
        # Drop a sentence that carries something the others do not (never the whole outcome when it is the only fact).
        outcome = sit["outcome"]
        candidates = [i for i in range(n) if i != outcome] or [0]
        drop = rng.choice(candidates)
        rec.update(a=old(), a2=old(), b=new(drop=drop))
        rec["dropped"] = sit["bullet"][drop][0].format(**base)
    elif cls == "wrong-name-from-memory":
        wrong = rng.choice([f for f in FIRST if f != name])
        rec.update(a=old(), a2=old(), b=noisy(render(sit, new_voice, rng, base, name=wrong)))
        assert wrong in rec["b"] and name not in rec["b"], rec["b"]
    elif cls == "other-users-data":
        other = person(rng)
        while other["first"] == me["first"]:
            other = person(rng)
        slot = sit["idslot"]
        other_id = typo(rng, typo(rng, sit["v"][slot])) if slot and slot not in ("last4", "msisdn") else None
        leaks = [f"I've also copied {other['email']} on the confirmation.",
                 f"For reference, the account contact is {other['full']} ({other['email']}).",
                 f"If you need anything, {other['full']} can be reached at {other['phone']}.",
                 f"A copy went by SMS to {other['phone']}."]
        if other_id and other_id != sit["v"][slot]:
            leaks.append(f"I can also see {other_id} for {other['full']} was updated today.")
        if "email" in sit["v"]:
            b = new(lane_slots(sit, ds, cs, overrides={"email": other["email"]}))
        else:
            body = render(sit, new_voice, rng, base)
            b = noisy(body + ("\n" if new_voice == "markdown" else " ") + rng.choice(leaks))
        rec.update(a=old(), a2=old(), b=b)
        rec["leaked"] = other["full"]
    else:
        raise ValueError(cls)
    if label == "ok" and "b" in rec:
        assert rec["b"] != rec["a"]
    return finish(rec, cls, label, memory)


def finish(rec: dict, cls: str, label: str, memory) -> dict:
    out = {"id": rec["id"], "class": cls, "label": label}
    if cls in EXPECT:
        out["expectKey"] = rec.get("expectKey", EXPECT[cls])
    out["domain"] = rec["domain"]
    out["history"] = rec["history"]
    out["message"] = rec["message"]
    out["skills"] = rec["skills"]
    if memory is not None:
        out["memory"] = memory
    for k in ("a", "a2", "b", "b2"):
        if k in rec:
            out[k] = rec[k]
    for k in ("dropped", "leaked"):
        if k in rec:
            out["note"] = f"{k}: {rec[k]}"
    return out


def main() -> int:
    rng = random.Random(SEED)
    lines = []
    for cls in OK_CLASSES + REG_CLASSES:
        for i in range(PER_CLASS):
            rec = build(cls, i, rng)
            rec["id"] = f"{rec['id'].rsplit('-', 1)[0]}-{cls}-{i:03d}"
            lines.append(json.dumps(rec, ensure_ascii=False))
    text = "\n".join(lines) + "\n"
    if "--check" in sys.argv:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {len(lines)} records to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
