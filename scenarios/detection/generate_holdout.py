#!/usr/bin/env python3
"""Held-out detection corpus (scenarios/detection/holdout.jsonl).

Written independently of generate.py / corpus.jsonl and of the judge's code, to measure how the judge generalises.
Seven domains the first corpus does not use (insurance claims, energy/utilities, food delivery, airline loyalty,
IT helpdesk, car rental, university admissions), four voices (curt, warm, corporate, markdown with bullets, tables and
emoji), several regional date and currency habits, and LLM-style noise (request/trace ids, "as of" times, greetings,
signatures). Seeded and deterministic:

    python3 scenarios/detection/generate_holdout.py          # writes holdout.jsonl
    python3 scenarios/detection/generate_holdout.py --check  # fails when the committed file is stale

Never edit the wording to make the judge pass or fail: the holdout measures the judge.
"""
import datetime as dt
import json
import os
import random
import string
import sys
import unicodedata

SEED = 7_2026_1203
PER_CLASS = 16
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "holdout.jsonl")

OK_CLASSES = ["reworded-small-talk", "reordered-sentences", "markdown", "date-styles", "generated-reference-codes",
              "times-of-day", "currency-styles", "different-greetings", "deterministic-old-noisy-new"]
REG_CLASSES = ["changed-amount", "changed-currency", "changed-date", "changed-id", "negated-outcome",
               "dropped-content", "wrong-name-from-memory", "other-users-data"]

# --------------------------------------------------------------------------------------------------------- people
PEOPLE = ["Ingrid Solberg", "Kwame Mensah", "Priyanka Rao", "Mateo Fernández", "Yuki Tanaka", "Fatima Benali",
          "Oliver Hughes", "Chiara Romano", "Lukas Brunner", "Aoife Byrne", "Tomasz Nowak", "Amara Okafor",
          "Hannah Schmid", "Rohan Iyer", "Sofia Lindqvist", "Jean-Luc Moreau", "Emily Carter", "Diego Alvarez",
          "Nadia Haddad", "Sipho Dlamini", "Grace O'Neill", "Henrik Dahl", "Mei Lin Chen", "Arjun Mehta",
          "Zeynep Aydın", "Camille Laurent", "Björn Eriksson", "Lucía Navarro", "Samuel Adeyemi", "Elif Demir"]
MAIL_DOMAINS = ["gmail.com", "outlook.com", "proton.me", "web.de", "yahoo.co.uk", "icloud.com", "gmx.ch"]


def ascii_lower(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).lower()


def email_of(rng, full):
    first, last = full.split(" ", 1)
    first, last = ascii_lower(first), ascii_lower(last).replace(" ", "").replace("'", "")
    shape = rng.choice(["{f}.{l}", "{f}{l}", "{f0}{l}", "{f}_{l}{n}"])
    return shape.format(f=first, l=last, f0=first[0], n=rng.randint(1, 99)) + "@" + rng.choice(MAIL_DOMAINS)


def phone_of(rng):
    shape = rng.choice(["uk", "ch", "us", "in", "de"])
    d = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))
    return {"uk": lambda: f"+44 7700 900{d(3)}", "ch": lambda: f"+41 79 {d(3)} {d(2)} {d(2)}",
            "us": lambda: f"+1 (415) 555-0{d(3)}", "in": lambda: f"+91 98{d(3)} {d(5)}",
            "de": lambda: f"+49 151 {d(8)}"}[shape]()


# ---------------------------------------------------------------------------------------------------- formatting
DATE_STYLES = ["d Mon yyyy", "d Month yyyy", "Month d, yyyy", "Mon d", "iso", "Weekday dth Month", "Wkd, d Mon",
               "dd.mm.yyyy", "dth of Month", "Weekday, Month d", "Month dth", "Wkd d Mon yyyy"]


def fmt_date(d, style):
    day = d.day
    suf = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    month, mon, wd, wkd = d.strftime("%B"), d.strftime("%b"), d.strftime("%A"), d.strftime("%a")
    return {
        "d Mon yyyy": f"{day} {mon} {d.year}",
        "d Month yyyy": f"{day} {month} {d.year}",
        "Month d, yyyy": f"{month} {day}, {d.year}",
        "Mon d": f"{mon} {day}",
        "iso": d.isoformat(),
        "Weekday dth Month": f"{wd} {day}{suf} {month}",
        "Wkd, d Mon": f"{wkd}, {day} {mon}",
        "dd.mm.yyyy": f"{day:02d}.{d.month:02d}.{d.year}",
        "dth of Month": f"{day}{suf} of {month}",
        "Weekday, Month d": f"{wd}, {month} {day}",
        "Month dth": f"{month} {day}{suf}",
        "Wkd d Mon yyyy": f"{wkd} {day} {mon} {d.year}",
    }[style]


def indian_group(n):
    s = str(n)
    if len(s) <= 3:
        return s
    head, tail = s[:-3], s[-3:]
    parts = []
    while len(head) > 2:
        parts.insert(0, head[-2:])
        head = head[:-2]
    if head:
        parts.insert(0, head)
    return ",".join(parts) + "," + tail


MONEY_STYLES = 6


def fmt_money(minor, cur, style):
    """minor units (cents; yen are whole). style is an index; every currency has several local habits."""
    if cur == "JPY":
        g = f"{minor:,}"
        opts = [f"¥{g}", f"{g} JPY", f"JPY {g}", f"{g}円", f"¥{minor}", f"JPY {minor:,}"]
        return opts[style % len(opts)]
    whole, cents = divmod(minor, 100)
    g = f"{whole:,}"
    dec = f"{g}.{cents:02d}"
    short = g if cents == 0 else dec
    eu = g.replace(",", ".") + f",{cents:02d}"
    if cur == "USD":
        opts = [f"${short}", f"${dec}", f"USD {dec}", f"{dec} USD", f"US${dec}", f"{short} USD"]
    elif cur == "EUR":
        opts = [f"€{short}", f"€{dec}", f"{eu} €", f"EUR {dec}", f"{dec} EUR", f"€ {eu}"]
    elif cur == "GBP":
        opts = [f"£{short}", f"£{dec}", f"GBP {dec}", f"{dec} GBP", f"£{dec}", f"{short} GBP"]
    elif cur == "CHF":
        opts = [f"CHF {dec}", "CHF " + g.replace(",", "'") + f".{cents:02d}", f"{dec} CHF", f"Fr. {dec}",
                f"CHF {g}.–" if cents == 0 else f"CHF {dec}", f"CHF {short}"]
    elif cur == "INR":
        ig = indian_group(whole)
        idec = f"{ig}.{cents:02d}"
        ishort = ig if cents == 0 else idec
        opts = [f"₹{ishort}", f"Rs. {ishort}", f"INR {dec}", f"₹{idec}", f"Rs {ig}/-" if cents == 0 else f"Rs {idec}",
                f"{dec} INR"]
    else:
        raise ValueError(cur)
    return opts[style % len(opts)]


def money_json(minor, cur):
    return {"amount": minor if cur == "JPY" else round(minor / 100, 2), "currency": cur}


# ------------------------------------------------------------------------------------------------------ noise
def hexs(rng, n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def alnum(rng, n):
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def gen_code_line(rng):
    kind = rng.randrange(8)
    if kind == 0:
        return f"Request ID: req_{hexs(rng, 12)}"
    if kind == 1:
        return f"(trace {hexs(rng, 8)}-{hexs(rng, 4)})"
    if kind == 2:
        return f"Conversation ref: {alnum(rng, 8)}"
    if kind == 3:
        return f"[interaction #{alnum(rng, 6)}]"
    if kind == 4:
        return f"Case reference: CR-{alnum(rng, 4)}-{rng.randint(1000, 9999)}"
    if kind == 5:
        return f"Support ticket: T{rng.randint(10_000_000, 99_999_999)}"
    if kind == 6:
        return f"ref {hexs(rng, 6)}"
    return f"Session {hexs(rng, 8)}-{hexs(rng, 4)}-{hexs(rng, 4)}"


def gen_time_line(rng):
    h, m, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    h12 = h % 12 or 12
    ampm = "am" if h < 12 else "pm"
    kind = rng.randrange(7)
    return [f"(as of {h:02d}:{m:02d} UTC)", f"Last updated {h12}:{m:02d} {ampm}.", f"[status checked {h:02d}:{m:02d}:{s:02d} CET]",
            f"Information correct as of {h12}.{m:02d}{ampm}.", f"— synced {h:02d}:{m:02d}", f"(live data, {h:02d}h{m:02d})",
            f"As at {h12}:{m:02d} {ampm.upper()} today."][kind]


# ------------------------------------------------------------------------------------------------------ voices
BRANDS = {"insurance": ("Brightshield Insurance", "Brightshield Claims Team"),
          "energy": ("Northmoor Energy", "Northmoor Customer Care"),
          "food": ("Forkly", "Forkly Support"),
          "airline": ("Aurora Miles", "Aurora Miles Member Services"),
          "ithelp": ("IT Service Desk", "IT Service Desk"),
          "carrental": ("Veloce Car Hire", "Veloce Reservations"),
          "university": ("University of Eastmoor Admissions", "Admissions Office, University of Eastmoor")}


def greeting(rng, voice, first, brand):
    if voice == "curt":
        pool = ["", "", "Hi.", f"Hi {first}." if first else "Hello."]
    elif voice == "warm":
        pool = [f"Hi {first}! 😊" if first else "Hi there! 😊", f"Hey {first}!" if first else "Hey!",
                f"Hello {first}," if first else "Hello,", "Thanks for your patience!", "Great question!",
                f"Hi {first} 👋" if first else "Hi 👋"]
    elif voice == "corporate":
        pool = [f"Dear {first}," if first else "Dear customer,", f"Good afternoon {first}," if first else "Good afternoon,",
                f"Thank you for contacting {brand}.", f"Hello {first}, thank you for your message." if first else "Hello, thank you for your message.",
                "Good morning,"]
    else:
        pool = [f"**Hi {first}!** 👋" if first else "**Hi there!** 👋", f"Hello {first} 🙂" if first else "Hello 🙂",
                "### Update", "👋 Thanks for reaching out!", ""]
    return rng.choice(pool)


def closing(rng, voice, team):
    if voice == "curt":
        return rng.choice(["", "", "Anything else?"])
    if voice == "warm":
        return rng.choice(["Anything else I can help with? 💙", "Hope that helps! 😊", "Have a lovely day!",
                           "Let me know if there's anything else!", "Take care ✨"])
    if voice == "corporate":
        return rng.choice([f"Kind regards,\n{team}", f"Best regards,\n{team}", f"Sincerely,\n{team}",
                           "Please do not hesitate to contact us should you have further questions.",
                           f"Thank you for choosing {team.split(',')[0]}."])
    return rng.choice(["Anything else? Just ask 🙌", "_Let me know if you need anything else._", "", "✨ Happy to help!"])


# -------------------------------------------------------------------------------------------------- situations
class Sit:
    """A support situation: how facts are drawn, what the user sent, what the skills returned, and the sentences an
    agent writes about it (three paraphrases each). `neg` holds negated outcome sentences; `neg_drop` keys that a
    negated reply leaves out because they no longer make sense."""

    def __init__(self, name, domain, gen, inputs, order, t, outcome, neg, neg_drop=(), kinds=None, table=(),
                 heading="", leak="", id_keys=("id",), date_keys=(), money_keys=()):
        self.name, self.domain, self.gen, self.inputs = name, domain, gen, inputs
        self.order, self.t, self.outcome, self.neg, self.neg_drop = order, t, outcome, neg, set(neg_drop)
        self.kinds = kinds or {}
        self.table, self.heading, self.leak = table, heading, leak
        self.id_keys, self.date_keys, self.money_keys = id_keys, date_keys, money_keys

    def kind(self, key):
        return "outcome" if key == self.outcome else self.kinds.get(key, "fact")


def skill(name, args, result, status="ok"):
    return {"name": name, "arguments": args, "status": status, "result": result}


def day_offset(base, lo, hi, rng):
    return base + dt.timedelta(days=rng.randint(lo, hi))


def pick_cur(rng, *curs):
    return rng.choice(curs)


def price(rng, cur, lo, hi, cents=True):
    """lo/hi in whole units of a 'dollar-like' currency; yen and rupees scaled."""
    if cur == "JPY":
        return rng.randint(lo, hi) * 150 // 10 * 10
    if cur == "INR":
        return rng.randint(lo * 80, hi * 80) * 100 + (rng.choice([0, 0, 50]) if cents else 0)
    return rng.randint(lo, hi) * 100 + (rng.choice([0, 0, 50, 95, 99, 25, 40]) if cents else 0)


def digits(rng, n):
    return str(rng.randint(10 ** (n - 1), 10 ** n - 1))


# --- insurance
def g_claim(rng, base):
    cur = pick_cur(rng, "EUR", "GBP", "CHF", "USD")
    return {"id": f"CLM-{digits(rng, 6)}", "amt": (price(rng, cur, 900, 8800), cur),
            "amt2": (rng.choice([250, 500, 1000]) * 100, cur), "date": day_offset(base, 2, 18, rng),
            "adjuster": rng.choice(["R. Lindqvist", "M. Osei", "P. Keller"])}


def i_claim(f, rng, positive=True):
    return dict(message=rng.choice([f"Hi, any news on claim {f['id']}? It's the storm damage to our roof.",
                                    f"what's happening with my claim {f['id']}", f"Could you tell me the status of claim {f['id']} please?"]),
                history=["We had roof damage after the storm last week and I filed a claim online."],
                skills=[skill("get_claim", {"claimId": f["id"]},
                              {"claimId": f["id"], "status": "approved" if positive else "declined", "payout": money_json(*f["amt"]),
                               "deductible": money_json(*f["amt2"]), "paymentDate": f["date"].isoformat(),
                               "adjuster": f["adjuster"], "documentsOutstanding": []})])


CLAIM = Sit(
    "claim", "insurance", g_claim, i_claim, ["outcome", "payout", "date", "docs"],
    {"outcome": ["Your claim {id} has been approved.", "Good news — claim {id} was approved.", "Claim {id} is approved."],
     "payout": ["The payout is {amt}, after your {amt2} deductible.", "After the {amt2} deductible, you'll receive {amt}.",
                "You'll be paid {amt} (your {amt2} deductible has already been taken off)."],
     "date": ["The payment is scheduled for {date}.", "The money should reach your account on {date}.", "Payment goes out on {date}."],
     "docs": ["You don't need to send anything else — the adjuster's report is already on file.",
              "No further documents are needed; we already have the adjuster's report.",
              "There's nothing more you need to submit, as the adjuster's report has been filed."]},
    "outcome",
    {"outcome": ["Unfortunately, your claim {id} has been declined.", "I'm sorry — claim {id} was not approved.", "Claim {id} has been rejected."],
     "payout": ["The adjuster concluded the damage was caused by wear and tear, which the policy excludes.",
                "The adjuster's report found the damage came from gradual wear, which isn't covered.",
                "According to the adjuster, the roof damage is due to wear and tear, an exclusion under your policy."]},
    neg_drop=["date"], kinds={"docs": "step"},
    table=[("Claim", "{id}"), ("Payout", "{amt}"), ("Deductible", "{amt2}"), ("Payment date", "{date}")],
    heading="Claim update", leak="I can also see {oname}'s claim {oid}, which is still waiting for the adjuster.",
    date_keys=("date",), money_keys=("amt", "amt2"))


def g_policy(rng, base):
    cur = pick_cur(rng, "GBP", "EUR", "USD", "CHF")
    return {"id": f"HX-{digits(rng, 7)}", "amt": (rng.choice([75, 90, 100, 115, 150]) * 100, cur),
            "date": day_offset(base, 20, 200, rng), "car": rng.choice(["VW Golf", "Toyota Yaris", "Skoda Octavia", "Tesla Model 3"])}


def i_policy(f, rng, positive=True):
    return dict(message=rng.choice([f"Does my car policy {f['id']} cover a cracked windscreen?",
                                    f"Is windscreen damage covered? policy no. {f['id']}",
                                    f"A stone cracked my windscreen. Am I covered? My policy is {f['id']}."]),
                history=["A stone hit the windscreen on the motorway this morning."],
                skills=[skill("get_policy", {"policyNumber": f["id"]},
                              {"policyNumber": f["id"], "vehicle": f["car"],
                               "cover": {"glass": positive, "glassExcess": money_json(*f["amt"]) if positive else None},
                               "renewalDate": f["date"].isoformat()})])


POLICY = Sit(
    "glass-cover", "insurance", g_policy, i_policy, ["outcome", "excess", "partner", "renew"],
    {"outcome": ["Yes — your policy {id} covers windscreen repair and replacement.", "Windscreen damage is covered under policy {id}.",
                 "Good news: a cracked windscreen is included in your cover on {id}."],
     "excess": ["A {amt} glass excess applies.", "You'll pay a {amt} excess for glass claims.", "The glass excess on your policy is {amt}."],
     "partner": ["Book the repair through our approved glass partner and they'll bill us directly.",
                 "If you use our glass partner, you won't have to pay for the repair upfront.",
                 "Use the approved repairer so the invoice comes straight to us."],
     "renew": ["Your policy renews on {date}.", "The policy is up for renewal on {date}.", "Renewal is due on {date}."]},
    "outcome",
    {"outcome": ["No — your policy {id} doesn't cover windscreen damage.", "Windscreen damage isn't covered under policy {id}.",
                 "Unfortunately a cracked windscreen is not included in your cover on {id}."],
     "partner": ["You'd need to pay for the repair yourself.", "The repair cost would be yours to cover.",
                 "Any repair would have to be paid privately."]},
    neg_drop=["excess"], kinds={"partner": "step"},
    table=[("Policy", "{id}"), ("Glass excess", "{amt}"), ("Renewal", "{date}")],
    heading="Windscreen cover", leak="Policy {oid} for {oname} also renews that week, by the way.",
    date_keys=("date",), money_keys=("amt",))

# --- energy


def g_bill(rng, base):
    cur = pick_cur(rng, "GBP", "EUR", "CHF", "USD")
    a = price(rng, cur, 160, 420)
    return {"id": f"ACC-{digits(rng, 8)}", "amt": (a, cur), "amt2": (price(rng, cur, 70, 140, cents=False), cur),
            "date": day_offset(base, 7, 24, rng)}


def i_bill(f, rng, positive=True):
    return dict(message=rng.choice(["Why is my electricity bill so high this month??", "My bill doubled, what's going on?",
                                    "Can you explain this month's bill? It's way more than normal."]),
                history=[f"My account number is {f['id']}."],
                skills=[skill("get_bill", {"accountId": f["id"]},
                              {"accountId": f["id"], "amountDue": money_json(*f["amt"]), "dueDate": f["date"].isoformat(),
                               "readingType": "estimated", "typicalMonthly": money_json(*f["amt2"]), "directDebit": positive})])


BILL = Sit(
    "bill", "energy", g_bill, i_bill, ["bill", "reason", "reading", "dd"],
    {"bill": ["Your latest bill for account {id} is {amt}, due on {date}.", "Account {id} has {amt} to pay by {date}.",
              "The current bill on {id} comes to {amt}, with payment due {date}."],
     "reason": ["It's higher than your usual {amt2} because it was based on an estimated meter reading.",
                "The bill used an estimated reading, which is why it's above your typical {amt2}.",
                "We estimated your meter reading this time, so it's more than the {amt2} you normally pay."],
     "reading": ["If you send us an actual reading in the app, we'll recalculate the bill.",
                 "Submit a real meter reading and we'll reissue the bill based on it.",
                 "Enter your meter reading online (or send a photo) and we'll correct it."],
     "dd": ["Your direct debit is active, so it will be collected automatically.", "It will be taken by direct debit, so you don't need to do anything.",
            "The direct debit is set up and will collect it on the due date."]},
    "dd",
    {"dd": ["There's no active direct debit, so you'll need to pay it manually.", "It won't be collected automatically — no direct debit is set up.",
            "The direct debit isn't set up, so please pay it yourself by the due date."]},
    kinds={"reading": "step"},
    table=[("Account", "{id}"), ("Amount due", "{amt}"), ("Due date", "{date}"), ("Usual monthly bill", "{amt2}"), ("Reading", "estimated")],
    heading="Your bill explained", leak="I notice {oname} (account {oid}) has the same estimated-reading issue.",
    date_keys=("date",), money_keys=("amt", "amt2"))


def g_meter(rng, base):
    return {"id": f"JOB-{digits(rng, 6)}", "date": day_offset(base, 3, 40, rng),
            "slot": rng.choice(["8am–12pm", "12pm–4pm", "08:00–12:00", "between 1 and 5pm"]), "mins": rng.choice([30, 45, 60])}


def i_meter(f, rng, positive=True):
    return dict(message=rng.choice(["When is the engineer coming to fit my smart meter?", "smart meter install - what day is it again?",
                                    "Hi, can you confirm my smart meter appointment?"]),
                history=[f"I booked a smart meter installation last month, reference {f['id']}."],
                skills=[skill("get_appointment", {"jobRef": f["id"]},
                              {"jobRef": f["id"], "type": "smart meter installation", "date": f["date"].isoformat(),
                               "slot": f["slot"], "status": "confirmed" if positive else "pending", "supplyOffMinutes": f["mins"]})])


METER = Sit(
    "smart-meter", "energy", g_meter, i_meter, ["outcome", "adult", "access", "power"],
    {"outcome": ["Your smart meter installation ({id}) is confirmed for {date}, {slot}.",
                 "The engineer is booked to fit your smart meter on {date} ({slot}), job {id} — that's confirmed.",
                 "Job {id} is confirmed: {date}, {slot}."],
     "adult": ["Please make sure someone over 18 is at home.", "An adult needs to be in to let the engineer in.",
               "Someone aged 18 or over has to be there during the visit."],
     "access": ["Clear the area around your meter cupboard before they arrive.", "It helps if the meter cupboard is easy to reach.",
                "Please move anything blocking access to the meter."],
     "power": ["The power will be off for about {mins} minutes during the fit.", "Expect your electricity to be off for roughly {mins} minutes.",
               "Your supply will be switched off for around {mins} minutes."]},
    "outcome",
    {"outcome": ["Your smart meter installation ({id}) isn't confirmed yet for {date}, {slot} — it's still pending.",
                 "The engineer visit for job {id} on {date} ({slot}) has not been confirmed.",
                 "Job {id} is not confirmed: {date}, {slot} is still pending."]},
    kinds={"adult": "step", "access": "step"},
    table=[("Job", "{id}"), ("Date", "{date}"), ("Slot", "{slot}"), ("Power off", "about {mins} minutes")],
    heading="Smart meter appointment", leak="The engineer is also visiting {oname} (job {oid}) on the same street that day.",
    date_keys=("date",))

# --- food delivery
DISHES = {"USD": ["Pad Thai", "Chicken burrito", "Poke bowl"], "INR": ["Chicken Biryani", "Paneer Tikka", "Masala Dosa"],
          "EUR": ["Margherita pizza", "Falafel wrap", "Katsu curry"], "GBP": ["Katsu curry", "Fish and chips", "Pad Thai"],
          "JPY": ["Tonkotsu ramen", "Karaage bento", "Gyudon"]}


def g_refund(rng, base):
    cur = pick_cur(rng, "USD", "INR", "EUR", "GBP", "JPY")
    amount = price(rng, cur, 9, 24) if cur != "INR" else rng.randint(180, 650) * 100
    if cur == "JPY":
        amount = rng.randint(8, 19) * 100
    return {"id": digits(rng, 7), "amt": (amount, cur), "dish": rng.choice(DISHES[cur]), "last4": digits(rng, 4),
            "ref": f"RF-{alnum(rng, 6)}"}


def i_refund(f, rng, positive=True):
    return dict(message=rng.choice([f"Order {f['id']} came without the {f['dish'].lower()}. Can I get my money back?",
                                    f"the {f['dish'].lower()} was missing from order {f['id']}!! refund pls",
                                    f"Hello, my order {f['id']} was missing the {f['dish']}. What can you do?"]),
                history=["Hi, I have a problem with tonight's delivery."],
                skills=[skill("get_order", {"orderId": f["id"]}, {"orderId": f["id"], "items": [f["dish"], "Spring rolls"], "status": "delivered"}),
                        skill("issue_refund", {"orderId": f["id"], "items": [f["dish"]]},
                              {"refundId": f["ref"], "status": "issued" if positive else "declined", "amount": money_json(*f["amt"]),
                               "method": "card", "cardLast4": f["last4"]})])


REFUND = Sit(
    "missing-item", "food", g_refund, i_refund, ["outcome", "card", "ref", "restaurant"],
    {"outcome": ["I've refunded {amt} for the missing {dish} on order #{id}.", "A refund of {amt} for the {dish} has been issued on order {id}.",
                 "Done — {amt} is on its way back to you for the missing {dish} (order #{id})."],
     "card": ["It goes back to the card ending {last4}, usually within 3–5 business days.", "Expect it on your card ending {last4} in 3 to 5 business days.",
              "The money returns to the card ending in {last4}; allow 3–5 working days."],
     "ref": ["Your refund reference is {ref}.", "Refund reference: {ref}.", "If you need it, the refund ID is {ref}."],
     "restaurant": ["I've also let the restaurant know so it doesn't happen again.", "I've passed this on to the restaurant as well.",
                    "The restaurant has been told about the missing item."]},
    "outcome",
    {"outcome": ["I wasn't able to refund the missing {dish} on order #{id}.", "A refund for the {dish} could not be issued on order {id}.",
                 "The refund for the missing {dish} (order #{id}) was declined."]},
    neg_drop=["card", "ref"], kinds={"restaurant": "step"},
    table=[("Order", "#{id}"), ("Refund", "{amt}"), ("Card", "ending {last4} (3–5 business days)"), ("Reference", "{ref}")],
    heading="Refund for your order", leak="Order #{oid} for {oname} had the same problem tonight.",
    id_keys=("id", "ref", "last4"), money_keys=("amt",))


def g_track(rng, base):
    cur = pick_cur(rng, "USD", "EUR", "GBP", "INR", "CHF")
    credit = {"USD": 500, "EUR": 500, "GBP": 400, "CHF": 500, "INR": 10000}[cur] * rng.choice([1, 2])
    return {"id": digits(rng, 7), "rest": rng.choice(["Bangkok Street", "Luigi's", "Spice Route", "Green Bowl", "Sakura Kitchen"]),
            "courier": rng.choice(["Tomás", "Aylin", "Marek", "Deepa", "Kofi", "Julie"]), "eta": rng.choice([8, 12, 15, 20]),
            "amt": (credit, cur)}


def i_track(f, rng, positive=True):
    return dict(message=rng.choice(["Where is my food?? It's been over an hour.", "still waiting for my order...", "Any update on my delivery?"]),
                history=[f"I ordered from {f['rest']} at 7, order {f['id']}."],
                skills=[skill("track_order", {"orderId": f["id"]},
                              {"orderId": f["id"], "restaurant": f["rest"], "status": "picked_up" if positive else "preparing",
                               "courier": {"firstName": f["courier"]}, "etaMinutes": f["eta"],
                               "compensation": {"type": "credit", **money_json(*f["amt"])}})])


TRACK = Sit(
    "late-delivery", "food", g_track, i_track, ["outcome", "courier", "credit"],
    {"outcome": ["Your order #{id} from {rest} has been picked up and is on its way.", "{rest} handed over order {id} and it's now out for delivery.",
                 "Order #{id} has left {rest} and is heading to you."],
     "courier": ["{courier} is bringing it and should arrive in about {eta} minutes.", "Your courier, {courier}, is about {eta} minutes away.",
                 "{courier} expects to reach you in around {eta} minutes."],
     "credit": ["Sorry for the wait — I've added a {amt} credit to your account.", "As an apology for the delay, there's a {amt} credit on your account.",
                "I've put {amt} of credit on your account for the trouble."]},
    "outcome",
    {"outcome": ["Your order #{id} from {rest} hasn't been picked up yet.", "{rest} still hasn't handed order {id} to a courier.",
                 "Order #{id} is still at {rest}; it hasn't left yet."],
     "courier": ["{courier} will collect it and should reach you about {eta} minutes after that.",
                 "Once {courier} picks it up, it's roughly {eta} minutes to you.",
                 "{courier} is assigned and will need about {eta} minutes from pickup."]},
    table=[("Order", "#{id}"), ("Restaurant", "{rest}"), ("Courier", "{courier}"), ("ETA", "~{eta} min"), ("Credit", "{amt}")],
    heading="Delivery status", leak="{oname}'s order #{oid} is with the same courier.",
    money_keys=("amt",))

# --- airline loyalty
FLIGHTS = ["LX318", "BA 2490", "NH 204", "AY1332", "EK 019", "AI 131", "UA 57"]


def g_miles(rng, base):
    miles = rng.randint(600, 6400)
    return {"id": f"AM{digits(rng, 8)}", "flt": rng.choice(FLIGHTS), "date": base - dt.timedelta(days=rng.randint(10, 60)),
            "miles": f"{miles:,}", "bal": f"{rng.randint(12_000, 180_000):,}"}


def i_miles(f, rng, positive=True):
    ds = fmt_date(f["date"], rng.choice(["d Mon yyyy", "iso", "Month d, yyyy"]))
    return dict(message=rng.choice([f"My miles for flight {f['flt']} on {ds} never showed up. Member number {f['id']}.",
                                    f"missing miles: {f['flt']}, {ds}, membership {f['id']}",
                                    f"Hi! I flew {f['flt']} on {ds} but no miles were credited. My number is {f['id']}."]),
                history=[],
                skills=[skill("find_flight_activity", {"memberId": f["id"], "flight": f["flt"], "date": f["date"].isoformat()},
                              {"found": True, "eligible": True}),
                        skill("post_missing_miles", {"memberId": f["id"], "flight": f["flt"], "date": f["date"].isoformat()},
                              {"status": "credited" if positive else "rejected", "milesCredited": int(f["miles"].replace(",", "")),
                               "newBalance": int(f["bal"].replace(",", ""))})])


MILES = Sit(
    "missing-miles", "airline", g_miles, i_miles, ["outcome", "balance", "tip"],
    {"outcome": ["I've credited {miles} miles for flight {flt} on {date} to account {id}.",
                 "The {miles} miles from your {date} flight {flt} are now on member account {id}.",
                 "Flight {flt} ({date}) has been added to {id}: {miles} miles."],
     "balance": ["Your new balance is {bal} miles.", "That brings you to {bal} miles.", "You now have {bal} miles in total."],
     "tip": ["Next time, add your member number when booking and the miles post automatically.",
             "If you add your membership number to future bookings, miles are credited on their own.",
             "Tip: keep your member number in the booking so miles credit automatically."]},
    "outcome",
    {"outcome": ["I couldn't credit the miles for flight {flt} on {date} to account {id}.",
                 "The miles from your {date} flight {flt} could not be added to member account {id}.",
                 "Flight {flt} ({date}) was not credited to {id}."],
     "balance": ["Your balance stays at {bal} miles.", "Your balance is unchanged at {bal} miles.", "You still have {bal} miles."]},
    kinds={"tip": "step"},
    table=[("Member", "{id}"), ("Flight", "{flt}"), ("Flight date", "{date}"), ("Miles credited", "{miles}"), ("New balance", "{bal}")],
    heading="Missing miles", leak="Member {oname} ({oid}) was on the same flight and got theirs yesterday.",
    date_keys=("date",))


def g_upgrade(rng, base):
    cur = pick_cur(rng, "USD", "CHF", "EUR", "JPY", "GBP")
    taxes = price(rng, cur, 45, 290)
    return {"id": "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)), "flt": rng.choice(FLIGHTS),
            "date": day_offset(base, 10, 120, rng), "miles": f"{rng.choice([25, 30, 40, 45, 55, 60]) * 1000:,}", "amt": (taxes, cur)}


def i_upgrade(f, rng, positive=True):
    return dict(message=rng.choice([f"Can I use miles to upgrade booking {f['id']} to business?", f"upgrade {f['id']} with miles - possible?",
                                    f"How many miles would it take to upgrade my booking {f['id']}?"]),
                history=["I'm an Aurora Miles Gold member."],
                skills=[skill("check_upgrade", {"pnr": f["id"], "cabin": "business"},
                              {"pnr": f["id"], "flight": f["flt"], "date": f["date"].isoformat(), "available": positive,
                               "milesRequired": int(f["miles"].replace(",", "")), "taxes": money_json(*f["amt"])})])


UPGRADE = Sit(
    "upgrade", "airline", g_upgrade, i_upgrade, ["outcome", "cost", "next"],
    {"outcome": ["Yes, there's business class upgrade space on your {date} flight {flt} (booking {id}).",
                 "Upgrade seats are available in business on {flt} on {date} for booking {id}.",
                 "Booking {id}: business upgrade space is open on {flt}, {date}."],
     "cost": ["It costs {miles} miles plus {amt} in taxes and carrier fees.", "The upgrade is {miles} miles and {amt} in taxes/fees.",
              "You'd pay {miles} miles, plus {amt} for taxes and fees."],
     "next": ["Reply 'confirm' and I'll process it.", "Just say the word and I'll book the upgrade.", "Let me know if you'd like me to go ahead."]},
    "outcome",
    {"outcome": ["There's no business class upgrade space on your {date} flight {flt} (booking {id}).",
                 "Upgrade seats aren't available in business on {flt} on {date} for booking {id}.",
                 "Booking {id}: there is no business upgrade space on {flt}, {date}."],
     "next": ["I can add you to the upgrade waitlist if you like.", "Want me to put you on the waitlist?", "I could waitlist you in case seats open up."]},
    neg_drop=["cost"], kinds={"next": "step"},
    table=[("Booking", "{id}"), ("Flight", "{flt}"), ("Date", "{date}"), ("Miles", "{miles}"), ("Taxes & fees", "{amt}")],
    heading="Upgrade with miles", leak="Booking {oid} under {oname} is on the same flight, by the way.",
    date_keys=("date",), money_keys=("amt",))

# --- IT helpdesk


def g_unlock(rng, base):
    return {"id": f"INC{digits(rng, 7)}", "emp": f"E{digits(rng, 6)}", "date": day_offset(base, 3, 30, rng)}


def i_unlock(f, rng, positive=True):
    return dict(message=rng.choice([f"I'm locked out of my laptop again. Employee ID {f['emp']}.", f"account locked!! {f['emp']}",
                                    f"Hi, I can't log in — it says my account is locked. My ID is {f['emp']}."]),
                history=[],
                skills=[skill("unlock_account", {"employeeId": f["emp"]},
                              {"username": f["user"], "unlocked": positive, "incident": f["id"], "lockReason": "5 failed sign-ins",
                               "passwordExpires": f["date"].isoformat()})])


UNLOCK = Sit(
    "account-locked", "ithelp", g_unlock, i_unlock, ["outcome", "reason", "ticket", "expiry"],
    {"outcome": ["Your account {user} has been unlocked.", "I've unlocked {user} — you can sign in again.", "{user} is unlocked now."],
     "reason": ["It was locked after five failed sign-in attempts, probably an old password saved on your phone.",
                "The lock came from 5 failed sign-ins — often an old password saved in a mail app on your phone.",
                "Five failed sign-ins triggered the lock; a phone with an old saved password is the usual culprit."],
     "ticket": ["I've logged this as {id}.", "Ticket {id} has been recorded for this.", "Reference for this: {id}."],
     "expiry": ["Your password expires on {date}, so you may want to change it now.", "Heads-up: the password expires {date}.",
                "Note that your current password expires on {date}."]},
    "outcome",
    {"outcome": ["Your account {user} could not be unlocked.", "I wasn't able to unlock {user}, so you still can't sign in.",
                 "{user} is still locked."]},
    kinds={"reason": "step"},
    table=[("Account", "{user}"), ("Ticket", "{id}"), ("Password expires", "{date}")],
    heading="Account unlock", leak="{oname}'s account ({oid}) was locked this morning too.",
    date_keys=("date",))


def g_laptop(rng, base):
    cur = pick_cur(rng, "EUR", "CHF", "USD", "GBP", "INR")
    charge = price(rng, cur, 980, 2100)
    return {"id": f"RITM{digits(rng, 7)}", "trk": "1Z" + alnum(rng, 6) + digits(rng, 10), "date": day_offset(base, 1, 6, rng),
            "amt": (charge, cur), "cc": f"CC-{digits(rng, 4)}", "model": rng.choice(["ThinkPad T14", "Latitude 7450", "MacBook Air 13"])}


def i_laptop(f, rng, positive=True):
    return dict(message=rng.choice([f"What's the status of my laptop replacement request {f['id']}?", f"{f['id']} - any news?",
                                    f"Hi, checking on {f['id']}, the replacement for my broken laptop."]),
                history=["My laptop screen broke last week and my manager approved a replacement."],
                skills=[skill("get_request", {"requestId": f["id"]},
                              {"requestId": f["id"], "state": "shipped" if positive else "awaiting_stock", "item": f["model"],
                               "carrier": "UPS", "tracking": f["trk"], "eta": f["date"].isoformat(), "charge": money_json(*f["amt"]),
                               "costCentre": f["cc"]})])


LAPTOP = Sit(
    "laptop", "ithelp", g_laptop, i_laptop, ["outcome", "tracking", "charge", "return"],
    {"outcome": ["Your replacement {model} for {id} has shipped.", "Request {id}: the new {model} is on its way.",
                 "The replacement {model} for {id} has been dispatched."],
     "tracking": ["It's with UPS under tracking number {trk} and should arrive on {date}.", "UPS tracking {trk}, expected delivery {date}.",
                  "Track it with UPS ({trk}); delivery is planned for {date}."],
     "charge": ["{amt} will be charged to cost centre {cc}.", "The cost, {amt}, goes to cost centre {cc}.", "Cost centre {cc} will be billed {amt}."],
     "return": ["Please return the old device within 14 days using the label in the box.",
                "Send the old laptop back within 14 days with the enclosed return label.",
                "The box includes a return label — the old one needs to be back within 14 days."]},
    "outcome",
    {"outcome": ["Your replacement {model} for {id} hasn't shipped yet — it's waiting for stock.",
                 "Request {id}: the new {model} is not on its way yet; we're waiting for stock.",
                 "The replacement {model} for {id} has not been dispatched, as it's out of stock."]},
    neg_drop=["tracking"], kinds={"return": "step"},
    table=[("Request", "{id}"), ("Device", "{model}"), ("UPS tracking", "{trk}"), ("Delivery", "{date}"), ("Charge", "{amt} → {cc}")],
    heading="Laptop replacement", leak="{oname}'s request {oid} shipped in the same batch.",
    id_keys=("id", "trk"), date_keys=("date",), money_keys=("amt",))

# --- car rental
BRANCHES = [("Zurich Airport", "+41 44 800 12 34"), ("Munich Hauptbahnhof", "+49 89 5502 7710"), ("London Heathrow T5", "+44 20 8897 4410"),
            ("Lisbon Airport", "+351 21 840 3321"), ("Denver Downtown", "+1 (303) 555-0187"), ("Bengaluru Airport", "+91 80 4902 6610")]


def g_extend(rng, base):
    cur = pick_cur(rng, "CHF", "EUR", "GBP", "USD", "INR")
    branch, phone = rng.choice(BRANCHES)
    return {"id": f"VC-{digits(rng, 5)}-{alnum(rng, 2)}", "date": day_offset(base, 2, 9, rng), "amt": (price(rng, cur, 240, 980), cur),
            "branch": branch, "phone": phone}


def i_extend(f, rng, positive=True):
    return dict(message=rng.choice([f"Can I keep the car two more days? Reservation {f['id']}.", f"extend {f['id']} by 2 days please",
                                    f"Hello, I'd like to extend my rental {f['id']} by two days."]),
                history=[],
                skills=[skill("modify_reservation", {"reservationId": f["id"], "extendDays": 2},
                              {"status": "modified" if positive else "rejected", "returnDate": f["date"].isoformat(),
                               "totalPrice": money_json(*f["amt"]), "returnBranch": f["branch"], "branchPhone": f["phone"]})])


EXTEND = Sit(
    "extension", "carrental", g_extend, i_extend, ["outcome", "total", "branch"],
    {"outcome": ["Done — reservation {id} is extended and the car is now due back on {date}.", "I've extended {id}; the new return date is {date}.",
                 "Reservation {id} now runs until {date}."],
     "total": ["Your new total is {amt}.", "The updated rental total comes to {amt}.", "The total price is now {amt}."],
     "branch": ["Please return it to the {branch} branch; you can reach them on {phone}.", "Drop-off stays at {branch} (phone {phone}).",
                "Return location: {branch}, tel. {phone}."]},
    "outcome",
    {"outcome": ["I couldn't extend reservation {id}, so the car is still due back on the original date.",
                 "Reservation {id} could not be extended — there's no availability for those two days.",
                 "The extension for {id} was not approved; the return date stays as it was."]},
    neg_drop=["total"],
    table=[("Reservation", "{id}"), ("New return date", "{date}"), ("New total", "{amt}"), ("Return branch", "{branch}"), ("Branch phone", "{phone}")],
    heading="Rental extended", leak="{oname} (reservation {oid}) is returning a car to the same branch that day.",
    id_keys=("id", "phone"), date_keys=("date",), money_keys=("amt",))


def g_deposit(rng, base):
    cur = pick_cur(rng, "CHF", "EUR", "GBP", "USD", "JPY")
    dep = rng.choice([30000, 50000, 80000]) if cur == "JPY" else {"CHF": 50000, "EUR": 40000, "GBP": 30000, "USD": 50000}[cur] * rng.choice([1, 1, 2])
    return {"id": f"VC-{digits(rng, 5)}-{alnum(rng, 2)}", "amt": (dep, cur), "date": base - dt.timedelta(days=rng.randint(0, 3)),
            "last4": digits(rng, 4)}


def i_deposit(f, rng, positive=True):
    return dict(message=rng.choice(["When do I get my deposit back?", "deposit still not refunded?", "Hi, has my security deposit been released?"]),
                history=[f"I returned the car yesterday, booking {f['id']}."],
                skills=[skill("get_rental", {"reservationId": f["id"]},
                              {"reservationId": f["id"], "deposit": money_json(*f["amt"]), "depositStatus": "released" if positive else "held",
                               "releasedOn": f["date"].isoformat() if positive else None, "cardLast4": f["last4"], "damage": "none"})])


DEPOSIT = Sit(
    "deposit", "carrental", g_deposit, i_deposit, ["outcome", "bank", "damage"],
    {"outcome": ["The {amt} deposit hold for {id} was released on {date}.", "We released your {amt} deposit for rental {id} on {date}.",
                 "Deposit for {id}: {amt}, released on {date}."],
     "bank": ["Your bank may take up to 7 working days to show it on the card ending {last4}.",
              "It can take up to 7 days to appear on the card ending in {last4}, depending on your bank.",
              "Depending on your bank, allow up to 7 days for it to show on the card ending {last4}."],
     "damage": ["No damage was noted at return, so nothing will be deducted.", "The car came back without damage, so nothing is deducted.",
                "There were no damage charges at check-in."]},
    "outcome",
    {"outcome": ["The {amt} deposit hold for {id} hasn't been released yet.", "We haven't released your {amt} deposit for rental {id} so far.",
                 "Deposit for {id}: {amt}, not released yet."],
     "bank": ["Once it's released, your bank may take up to 7 working days to show it on the card ending {last4}.",
              "After release it can take up to 7 days to appear on the card ending in {last4}.",
              "When it is released, allow up to 7 days for it to show on the card ending {last4}."]},
    kinds={"damage": "fact"},
    table=[("Rental", "{id}"), ("Deposit", "{amt}"), ("Released", "{date}"), ("Card", "ending {last4} (allow up to 7 days)"), ("Damage", "none")],
    heading="Deposit", leak="{oname}'s deposit for {oid} went back the same day.",
    id_keys=("id", "last4"), date_keys=("date",), money_keys=("amt",))

# --- university admissions
PROGRAMMES = ["MSc Data Science", "MA International Relations", "MEng Civil Engineering", "BSc Psychology", "MBA"]


def g_offer(rng, base):
    cur = pick_cur(rng, "GBP", "EUR", "CHF", "USD", "INR")
    dep = {"GBP": 200000, "EUR": 150000, "CHF": 100000, "USD": 250000, "INR": 5000000}[cur] * rng.choice([1, 1, 2])
    if cur == "INR":
        dep = rng.choice([2500000, 5000000, 7500000, 12500000])
    return {"id": f"APP-2026-{digits(rng, 5)}", "prog": rng.choice(PROGRAMMES), "amt": (dep, cur), "date": day_offset(base, 14, 45, rng)}


def i_offer(f, rng, positive=True):
    return dict(message=rng.choice([f"Has a decision been made on my application {f['id']}?", f"any decision yet? {f['id']}",
                                    f"Dear admissions, could you let me know whether application {f['id']} has been decided?"]),
                history=[f"I applied for the {f['prog']} in January."],
                skills=[skill("get_application", {"applicationId": f["id"]},
                              {"applicationId": f["id"], "programme": f["prog"], "decision": "conditional_offer" if positive else "rejected",
                               "condition": "final transcript, 2:1 or higher", "deposit": money_json(*f["amt"]), "depositDue": f["date"].isoformat()})])


OFFER = Sit(
    "decision", "university", g_offer, i_offer, ["outcome", "deposit", "condition"],
    {"outcome": ["You've received a conditional offer for the {prog} (application {id}).",
                 "Congratulations — application {id} for the {prog} has been accepted, with conditions.",
                 "Application {id}: the {prog} admissions panel has made you a conditional offer."],
     "deposit": ["To accept, pay the {amt} enrolment deposit by {date}.", "Accepting requires a {amt} deposit, due {date}.",
                 "The {amt} deposit must be paid by {date} to secure your place."],
     "condition": ["The condition is a final transcript showing a 2:1 or higher — upload it to the applicant portal once you have it.",
                   "Your offer depends on a final grade of 2:1 or above; upload the transcript in the portal when it's issued.",
                   "Once your final transcript (2:1 or better) is out, upload it via the applicant portal."]},
    "outcome",
    {"outcome": ["You haven't received an offer for the {prog} (application {id}).", "I'm sorry — application {id} for the {prog} has not been accepted.",
                 "Application {id}: the {prog} admissions panel did not make you an offer."],
     "condition": ["You can ask the admissions office for feedback on the decision.", "Feedback on the decision can be requested from admissions.",
                   "If you'd like, you can request feedback from the admissions team."]},
    neg_drop=["deposit"], kinds={"condition": "step"},
    table=[("Application", "{id}"), ("Programme", "{prog}"), ("Decision", "conditional offer", "no offer"), ("Deposit", "{amt}"), ("Deposit due", "{date}")],
    heading="Application decision", leak="Application {oid} from {oname} got the same offer.",
    date_keys=("date",), money_keys=("amt",))


def g_docs(rng, base):
    cur = pick_cur(rng, "GBP", "EUR", "USD", "INR", "CHF", "JPY")
    fee = {"GBP": 2600, "EUR": 7500, "USD": 9000, "INR": 150000, "CHF": 15000, "JPY": 30000}[cur]
    return {"id": f"S{digits(rng, 7)}", "amt": (fee, cur), "date": day_offset(base, 10, 35, rng)}


def i_docs(f, rng, positive=True):
    return dict(message=rng.choice(["Did you get my transcripts? I sent them last week.", "have my transcripts arrived?",
                                    "Hello — can you confirm you received my academic transcripts?"]),
                history=[f"My applicant number is {f['id']}."],
                skills=[skill("get_documents", {"applicantId": f["id"]},
                              {"transcript": "received" if positive else "missing", "ielts": "missing",
                               "applicationFee": {**money_json(*f["amt"]), "status": "paid"}, "documentDeadline": f["date"].isoformat()})])


DOCS = Sit(
    "documents", "university", g_docs, i_docs, ["outcome", "ielts", "fee", "howto"],
    {"outcome": ["Yes, we've received your transcript.", "Your transcript arrived and is on file.", "We have your transcripts — they came through fine."],
     "ielts": ["Your IELTS score report is still missing and has to arrive by {date}.", "We're still waiting on your IELTS results — the deadline is {date}.",
               "The IELTS report hasn't come through yet; it's due by {date}."],
     "fee": ["The {amt} application fee on {id} has been paid.", "Application fee paid: {amt} (applicant {id}).",
             "We've received the {amt} application fee for applicant {id}."],
     "howto": ["Ask your test centre to send the IELTS report to us electronically.",
               "Have the test centre send your IELTS results directly to us — paper copies take weeks.",
               "The quickest route is an electronic transfer of your IELTS result from the test centre."]},
    "outcome",
    {"outcome": ["No, we haven't received your transcript yet.", "Your transcript hasn't arrived; it's not on file.", "We don't have your transcripts yet."]},
    kinds={"howto": "step"},
    table=[("Applicant", "{id}"), ("Transcript", "received ✅", "not received ❌"), ("IELTS", "missing ⏳ — due {date}"), ("Application fee", "{amt} paid")],
    heading="Your documents", leak="Applicant {oid} ({oname}) is missing the IELTS report too.",
    date_keys=("date",), money_keys=("amt",))

SITS = [CLAIM, POLICY, BILL, METER, REFUND, TRACK, MILES, UPGRADE, UNLOCK, LAPTOP, EXTEND, DEPOSIT, OFFER, DOCS]


# ------------------------------------------------------------------------------------------------------ rendering
class Lane:
    def __init__(self, **kw):
        self.voice = kw.get("voice", "warm")
        self.v = kw.get("v", {})                  # key -> paraphrase index
        self.order = kw.get("order")
        self.neg = kw.get("neg", False)
        self.drop = set(kw.get("drop", ()))
        self.dstyle = kw.get("dstyle", "d Mon yyyy")
        self.mstyle = kw.get("mstyle", 0)
        self.greet = kw.get("greet", "")
        self.close = kw.get("close", "")
        self.code = kw.get("code")
        self.time = kw.get("time")
        self.md = kw.get("md")                    # None | "bullets" | "table"
        self.extra = list(kw.get("extra", ()))    # sentences appended
        self.facts = kw.get("facts")              # facts override (regressions)

    def copy(self, **kw):
        c = Lane()
        c.__dict__.update({k: (v.copy() if isinstance(v, (dict, set, list)) else v) for k, v in self.__dict__.items()})
        for k, v in kw.items():
            setattr(c, k, set(v) if k == "drop" else v)
        return c


def values(sit, f, lane):
    out = {}
    for k, v in f.items():
        if isinstance(v, dt.date):
            out[k] = fmt_date(v, lane.dstyle)
        elif isinstance(v, tuple):
            out[k] = fmt_money(v[0], v[1], lane.mstyle)
        else:
            out[k] = v
    return out


def sentences(sit, f, lane):
    vals = values(sit, f, lane)
    out = []
    for key in lane.order or sit.order:
        if key in lane.drop or (lane.neg and key in sit.neg_drop):
            continue
        pool = sit.neg[key] if lane.neg and key in sit.neg else sit.t[key]
        out.append((key, pool[lane.v.get(key, 0) % len(pool)].format(**vals)))
    return out, vals


def bold_values(text, sit, vals):
    for k, v in sorted(vals.items(), key=lambda kv: -len(str(kv[1]))):
        if k in ("id", "amt", "amt2", "date", "trk", "ref", "miles", "bal", "user") and isinstance(v, str) and v in text and f"**{v}" not in text:
            text = text.replace(v, f"**{v}**", 1)
    return text


def render(sit, f, lane):
    facts = lane.facts or f
    sents, vals = sentences(sit, facts, lane)
    parts = []
    if lane.greet:
        parts.append(lane.greet)
    if lane.md is None:
        body = " ".join(s for _, s in sents + [(None, e) for e in lane.extra])
        if lane.time:
            body = body + " " + lane.time
        if lane.voice == "corporate" and len(sents) > 2:
            mid = (len(sents) + 1) // 2
            first = " ".join(s for _, s in sents[:mid])
            rest = " ".join(s for _, s in sents[mid:]) + "".join(" " + e for e in lane.extra) + (" " + lane.time if lane.time else "")
            parts.extend([first, rest])
        else:
            parts.append(body)
    elif lane.md == "bullets":
        lines = [f"**{sit.heading}**"] + ([f"_{lane.time}_"] if lane.time else [])
        for key, s in sents:
            kind = sit.kind(key)
            pl = placeholders(sit.neg[key] if lane.neg and key in sit.neg else sit.t[key])
            emoji = ("✅" if not lane.neg else "❌") if kind == "outcome" else "👉" if kind == "step" else \
                "📅" if pl & set(sit.date_keys) else "💰" if pl & set(sit.money_keys) else "ℹ️"
            mark = "-" if lane.v.get("_plain", 0) % 2 == 0 else f"- {emoji}"
            lines.append(f"{mark} {bold_values(s, sit, vals)}")
        lines.extend(f"- {e}" for e in lane.extra)
        parts.append("\n".join(lines))
    else:  # table
        head = [k for k, _ in sents if sit.kind(k) == "outcome"]
        steps = [s for k, s in sents if sit.kind(k) == "step"]
        out = [f"### {sit.heading}"] + ([f"_{lane.time}_"] if lane.time else [])
        if head:
            out.append(bold_values(dict(sents)[head[0]], sit, vals))
        shown = set()
        for k, _ in sents:
            shown |= placeholders(sit.neg[k] if lane.neg and k in sit.neg else sit.t[k])
        rows = []
        for row in sit.table:
            label, tpl = row[0], (row[2] if lane.neg and len(row) > 2 else row[1])
            if not placeholders([tpl]) <= shown:
                continue
            rows.append(f"| {label} | {tpl.format(**vals)} |")
        if rows:
            out.append("| | |\n|---|---|\n" + "\n".join(rows))
        for k, s in sents:
            if sit.kind(k) == "fact" and not sit.table:
                out.append(f"- {s}")
        out.extend(f"- {s}" for s in steps)
        out.extend(f"- {e}" for e in lane.extra)
        parts.append("\n\n".join(out))
    if lane.close:
        parts.append(lane.close)
    if lane.code:
        parts.append(lane.code)
    sep = " " if lane.voice == "curt" and lane.md is None else "\n\n"
    return sep.join(p for p in parts if p)


def placeholders(pool):
    out = set()
    for tpl in pool:
        for _, name, _, _ in string.Formatter().parse(tpl):
            if name:
                out.add(name)
    return out


# ------------------------------------------------------------------------------------------------------ records
def base_date(rng):
    return dt.date(2026, rng.randint(1, 12), rng.randint(1, 28))


def person(rng, exclude=()):
    while True:
        p = rng.choice(PEOPLE)
        if p not in exclude and p.split()[0] not in {e.split()[0] for e in exclude}:
            return p


def memory_name(rng, full):
    first = full.split()[0]
    text = rng.choice([f"User's name is {full}.", f"Customer name: {full}", f"The user introduced themselves as {first}.",
                       f"Prefers to be called {first}.", f"{full} — prefers email over phone."])
    return {"retrieved": [{"text": text, "id": f"mem-{rng.randint(100, 999)}", "score": round(rng.uniform(0.71, 0.93), 2)}], "written": []}


def variants(rng, sit, same_as=None, change=0.7):
    v = {}
    for key in sit.order:
        if same_as is not None and rng.random() >= change:
            v[key] = same_as.get(key, 0)
        else:
            choices = [0, 1, 2]
            if same_as is not None:
                choices.remove(same_as.get(key, 0) % 3)
            v[key] = rng.choice(choices)
    v["_plain"] = rng.randrange(2)
    return v


def inputs_for(sit, f, rng, positive=True):
    return sit.inputs(f, rng, positive)


def new_facts(sit, rng, base):
    f = sit.gen(rng, base)
    if sit is UNLOCK:
        f["user"] = None
    return f


def attach_user(sit, f, full):
    if sit is UNLOCK:
        first, last = full.split(" ", 1)
        f["user"] = ascii_lower(first)[0] + "." + ascii_lower(last).replace(" ", "").replace("'", "")


def make_record(rid, cls, sit, label, inp, lanes, expect=None, note=None, memory=None, lane_over=None):
    rec = {"id": rid, "class": cls, "label": label}
    if expect:
        rec["expectKey"] = expect
    if inp.get("history"):
        rec["history"] = inp["history"]
    rec["message"] = inp["message"]
    rec["skills"] = inp.get("skills", [])
    if memory:
        rec["memory"] = memory
    rec["a"], rec["a2"], rec["b"] = lanes
    if lane_over:
        rec["lanes"] = lane_over
    rec["domain"] = sit.domain if sit else inp.get("domain")
    if note:
        rec["note"] = note
    return rec


def maybe_noise(rng, p_code=0.25, p_time=0.2):
    return (gen_code_line(rng) if rng.random() < p_code else None, gen_time_line(rng) if rng.random() < p_time else None)


def base_lane(rng, sit, voice=None, name=None):
    voice = voice or rng.choice(["curt", "warm", "corporate", "markdown"])
    brand, team = BRANDS[sit.domain]
    md = None
    if voice == "markdown":
        md = rng.choice(["bullets", "bullets", "table"])
    return Lane(voice=voice, v=variants(rng, sit), dstyle=rng.choice(DATE_STYLES), mstyle=rng.randrange(MONEY_STYLES),
                greet=greeting(rng, voice, name.split()[0] if name else None, brand), close=closing(rng, voice, team), md=md)


# ------------------------------------------------------------------------------------------------------ small talk
SMALL = {
    "thanks": (["thanks!", "Thank you so much, that's really helpful", "cheers", "ok thanks a lot", "merci 🙏", "great, thank you"],
               ["You're welcome!", "Happy to help — anything else?", "No problem at all 😊", "Glad I could help{c_name}!",
                "Anytime! Let me know if anything else comes up.", "My pleasure. Is there anything else I can do for you today?",
                "You're very welcome{c_name}. Have a great day!", "Sure thing."]),
    "bye": (["bye", "that's all, bye", "ok goodbye", "have a good one", "ciao!"],
            ["Goodbye, take care!", "Bye{s_name}! 👋", "Thanks for chatting — have a good day.", "Take care, and feel free to come back anytime.",
             "Have a lovely evening!", "All the best. Goodbye!", "See you{s_name}!"]),
    "hello": (["hi", "hello?", "hey there", "good morning", "hallo"],
              ["Hi{s_name}! How can I help today?", "Hello! What can I do for you?", "Hey 👋 What do you need help with?",
               "Good to hear from you{c_name}. How can I assist?", "Hi there — what can I help you with?",
               "Hello and welcome to {brand}. How may I help?"]),
    "ok": (["ok", "got it", "alright", "👍", "makes sense"],
           ["Great. Anything else?", "Perfect 👍", "Sounds good — I'm here if you need anything else.", "Alright! Let me know if you have other questions.",
            "Got it.", "Okay, shout if you need more help."]),
    "how": (["how are you today?", "how's your day going?", "you doing ok?"],
            ["I'm doing well, thanks for asking! How can I help?", "All good here 😊 What can I do for you?",
             "Doing great, thank you. What brings you here today?", "I'm fine, thanks! Anything I can help you with?",
             "Very well, thank you{c_name}. How can I assist?"]),
}


def small_talk(rng, n, idx):
    sit = SITS[idx % len(SITS)]
    kind = list(SMALL)[idx % len(SMALL)]
    msgs, replies = SMALL[kind]
    brand = BRANDS[sit.domain][0]
    name = person(rng) if rng.random() < 0.5 else None
    first = name.split()[0] if name else None
    f = new_facts(sit, rng, base_date(rng))
    if name:
        attach_user(sit, f, name)
    prev = inputs_for(sit, f, rng)
    picks = rng.sample(replies, 3)
    fill = lambda r: r.format(c_name=f", {first}" if first else "", s_name=f" {first}" if first else "", brand=brand)
    inp = {"message": rng.choice(msgs), "history": (prev["history"] + [prev["message"]]) if kind != "hello" else [], "skills": []}
    return make_record(f"{sit.domain}-smalltalk-{kind}-{n:03d}", "reworded-small-talk", sit, "ok", inp,
                       [fill(p) for p in picks], memory=memory_name(rng, name) if name else None)


# ------------------------------------------------------------------------------------------------------ builders
def has_money(s):
    return bool(s.money_keys)


def has_date(s):
    return bool(s.date_keys)


def eligible(cls):
    if cls in ("changed-amount", "changed-currency", "currency-styles"):
        return [s for s in SITS if has_money(s)]
    if cls in ("changed-date", "date-styles"):
        return [s for s in SITS if has_date(s)]
    return SITS


def swap_adjacent_digit(rng, s):
    idx = [i for i in range(len(s) - 1) if s[i].isdigit() and s[i + 1].isdigit() and s[i] != s[i + 1]]
    if not idx:
        return None
    i = rng.choice(idx)
    out = s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return None if out[0] == "0" else out


def change_one_digit(rng, s):  # never the leading digit
    idx = [i for i, c in enumerate(s) if c.isdigit()]
    if not idx:  # all letters (a PNR): change one letter
        i = rng.randrange(1, len(s))
        return s[:i] + rng.choice([c for c in "ABCDEFGHJKLMNPQRSTUVWXYZ" if c != s[i]]) + s[i + 1:]
    i = rng.choice(idx[1:] if len(idx) > 1 else idx)
    return s[:i] + rng.choice([d for d in "0123456789" if d != s[i]]) + s[i + 1:]


def mutate_amount(rng, minor, cur, extra=None):
    unit = 1 if cur == "JPY" else 100
    whole, cents = divmod(minor, unit)
    kinds = ["swap", "x10", "plus", "digit", "cents"] + (["gross"] if extra else [])
    while True:
        k = rng.choice(kinds)
        if k == "swap":
            s = swap_adjacent_digit(rng, str(whole))
            if s:
                return int(s) * unit + cents, "digits swapped"
        elif k == "x10":
            return minor * 10, "ten times"
        elif k == "plus":
            return minor + rng.choice([10, 20, 50]) * unit, "added a round sum"
        elif k == "digit" and whole >= 10:
            return int(change_one_digit(rng, str(whole))) * unit + cents, "one digit changed"
        elif k == "cents" and cur != "JPY" and cents:
            return whole * unit + rng.choice([c for c in (0, 50, 99) if c != cents]), "cents changed"
        elif k == "gross":
            return minor + extra, "before deductible (gross)"


OTHER_CUR = {"USD": ["EUR", "GBP"], "EUR": ["GBP", "USD", "CHF"], "GBP": ["EUR", "USD"], "CHF": ["EUR", "USD"],
             "INR": ["USD"], "JPY": ["USD"]}


def build(cls, rng, n, idx):
    if cls == "reworded-small-talk":
        return small_talk(rng, n, idx)
    pool = eligible(cls)
    sit = pool[idx % len(pool)]
    base = base_date(rng)
    f = new_facts(sit, rng, base)
    regression = cls in REG_CLASSES
    name = person(rng) if (rng.random() < 0.45 or cls in ("wrong-name-from-memory", "different-greetings") or sit is UNLOCK) else None
    if sit is UNLOCK:
        attach_user(sit, f, name)
    polarity_reverse = cls == "negated-outcome" and rng.random() < 0.25
    inp = inputs_for(sit, f, rng, positive=not polarity_reverse)
    memory = memory_name(rng, name) if name and (cls in ("wrong-name-from-memory", "different-greetings") or rng.random() < 0.7) else None
    show_name = name if memory else None
    A = base_lane(rng, sit, name=show_name)
    if cls == "markdown":
        A = base_lane(rng, sit, voice=rng.choice(["curt", "warm", "corporate"]), name=show_name)
    A.neg = polarity_reverse
    rid = f"{sit.domain}-{sit.name}-{cls}-{n:03d}"
    note = None
    expect = None
    over = None

    # A' rewords like an LLM; B starts as A and each class changes it.
    A2 = A.copy(v=variants(rng, sit, A.v, change=0.7))
    B = A.copy(v=variants(rng, sit, A.v, change=0.5) if rng.random() < 0.6 else dict(A.v))

    if regression:
        for lane in (A, A2, B):
            lane.code, lane.time = maybe_noise(rng)
    if cls == "reordered-sentences":
        A2 = A.copy(v=variants(rng, sit, A.v, change=0.6)) if rng.random() < 0.6 else A.copy()
        order = list(sit.order)
        while order == sit.order:
            rng.shuffle(order)
        if A.md == "table":  # a table has one order; reordering is about prose and bullets
            A.md = "bullets"
            A2.md = "bullets"
        B = A.copy(order=order)
    elif cls == "markdown":
        if rng.random() < 0.7:
            B = A.copy(voice="markdown", md=rng.choice(["bullets", "table"]), greet=greeting(rng, "markdown", show_name and show_name.split()[0], BRANDS[sit.domain][0]),
                       close=closing(rng, "markdown", BRANDS[sit.domain][1]))
        else:  # markdown old, prose new
            md = rng.choice(["bullets", "table"])
            A = A.copy(voice="markdown", md=md, greet=greeting(rng, "markdown", show_name and show_name.split()[0], BRANDS[sit.domain][0]))
            A2 = A.copy(v=variants(rng, sit, A.v, change=0.6))
            B = A.copy(voice=rng.choice(["warm", "corporate"]), md=None, greet=greeting(rng, "warm", show_name and show_name.split()[0], BRANDS[sit.domain][0]),
                       close=closing(rng, "warm", BRANDS[sit.domain][1]))
    elif cls == "date-styles":
        styles = rng.sample(DATE_STYLES, 3)
        A.dstyle = styles[0]
        A2 = A2.copy(dstyle=styles[0] if rng.random() < 0.6 else styles[1])
        B = B.copy(dstyle=styles[2])
    elif cls == "generated-reference-codes":
        for lane in (A, A2, B):
            lane.code = gen_code_line(rng)
    elif cls == "times-of-day":
        for lane in (A, A2, B):
            lane.time = gen_time_line(rng)
    elif cls == "currency-styles":
        styles = rng.sample(range(MONEY_STYLES), 3)
        cur = f[sit.money_keys[0]][1]
        rendered = {s: fmt_money(f[sit.money_keys[0]][0], cur, s) for s in styles}
        A.mstyle = styles[0]
        A2 = A2.copy(mstyle=styles[0] if rng.random() < 0.5 else styles[1])
        alt = [s for s in range(MONEY_STYLES) if fmt_money(f[sit.money_keys[0]][0], cur, s) != rendered[styles[0]]]
        B = B.copy(mstyle=rng.choice(alt))
    elif cls == "different-greetings":
        brand, team = BRANDS[sit.domain]
        first = show_name.split()[0] if show_name else None
        gs = set()
        for lane in (A, A2, B):
            for _ in range(10):
                g = greeting(rng, rng.choice(["warm", "corporate", "markdown"]) if lane.voice != "curt" else "warm", first if rng.random() < 0.7 else None, brand)
                if g and g not in gs:
                    break
            gs.add(g)
            lane.greet = g
            if rng.random() < 0.5:
                lane.close = closing(rng, lane.voice, team)
    elif cls == "deterministic-old-noisy-new":
        A.code = A.time = None
        A2 = A.copy()
        first = show_name.split()[0] if show_name else None
        B = A.copy(v=variants(rng, sit, A.v, change=0.8), code=gen_code_line(rng), time=gen_time_line(rng),
                   greet=greeting(rng, A.voice if A.voice != "curt" else "warm", first, BRANDS[sit.domain][0]) or "Hi!",
                   close=closing(rng, A.voice if A.voice != "curt" else "warm", BRANDS[sit.domain][1]))
    elif cls == "changed-amount":
        key = sit.money_keys[0] if len(sit.money_keys) == 1 or rng.random() < 0.75 else sit.money_keys[1]
        minor, cur = f[key]
        extra = f["amt2"][0] if (sit is CLAIM and key == "amt") else None
        m2, how = mutate_amount(rng, minor, cur, extra)
        B.facts = dict(f, **{key: (m2, cur)})
        expect, note = "reply.facts.amount", f"{key}: {fmt_money(minor, cur, 1)} -> {fmt_money(m2, cur, 1)} ({how})"
    elif cls == "changed-currency":
        cur = f[sit.money_keys[0]][1]
        new = rng.choice(OTHER_CUR[cur])
        B.facts = dict(f, **{k: (f[k][0], new) for k in sit.money_keys})
        if cur == "JPY":  # same number on the page: ¥4,800 -> $4,800
            B.facts = dict(f, **{k: (f[k][0] * 100, new) for k in sit.money_keys})
        # keep decimal habits comparable: dot-decimal styles only on both sides
        dot_styles = [0, 1, 3] if cur != "JPY" else [0, 1, 2]
        for lane in (A, A2):
            lane.mstyle = rng.choice(dot_styles) if cur != "EUR" else rng.choice([0, 1, 3, 4])
        B.mstyle = rng.choice([0, 1, 3] if new != "EUR" else [0, 1, 3, 4])
        expect, note = "reply.facts.amount", f"currency {cur} -> {new}"
    elif cls == "changed-date":
        key = sit.date_keys[0]
        delta = rng.choice([-1, 1]) * rng.randint(1, 30)
        B.facts = dict(f, **{key: f[key] + dt.timedelta(days=delta)})
        if rng.random() < 0.3:
            B.dstyle = rng.choice([s for s in DATE_STYLES if s != A.dstyle])
        A2.dstyle = A.dstyle
        expect, note = "reply.facts.date", f"{key} moved {delta:+d} days"
    elif cls == "changed-id":
        key = "id" if len(sit.id_keys) == 1 or rng.random() < 0.6 else rng.choice(sit.id_keys[1:])
        old = f[key]
        mode = rng.random()
        if key == "id" and mode < 0.3 and sit not in (UNLOCK,):
            alt = new_facts(sit, rng, base)["id"]
            inp["history"] = inp.get("history", []) + [rng.choice([f"(I also have {alt}, but that one is fine.)", f"Last time it was {alt}, that got sorted.",
                                                                    f"Not to be confused with {alt}, which is closed."])]
            new, how = alt, "another id of the user's, from history"
        elif key == "phone":
            start = old.index(" ") + 1  # keep the country code
            tail = swap_adjacent_digit(rng, old[start:]) if rng.random() < 0.5 else None
            new = old[:start] + tail if tail else old[:start] + change_one_digit(rng, old[start:])
            how = "branch phone typo"
        else:
            new = (swap_adjacent_digit(rng, old) if rng.random() < 0.5 else None) or change_one_digit(rng, old)
            how = "typo"
        B.facts = dict(f, **{key: new})
        expect = "reply.facts.phone" if key == "phone" else "reply.facts.id"
        note = f"{key}: {old} -> {new} ({how})"
    elif cls == "negated-outcome":
        B.neg = not polarity_reverse
        expect, note = "reply.polarity", ("negative -> positive" if polarity_reverse else "positive -> negative")
    elif cls == "dropped-content":
        cands = [k for k in sit.order if k != sit.outcome]
        facts_first = [k for k in cands if sit.kind(k) == "fact"]
        key = rng.choice(facts_first) if facts_first and rng.random() < 0.6 else rng.choice(cands)
        B.drop = {key}
        note = f"dropped '{key}': " + sit.t[key][A.v.get(key, 0) % 3]
    elif cls == "wrong-name-from-memory":
        first = name.split()[0]
        other = person(rng, exclude=[name])
        of = other.split()[0]
        how = "unrelated name"
        if rng.random() < 0.3:
            inp["history"] = inp.get("history", []) + [rng.choice([f"My colleague {of} said you could help.", f"I'm asking for {of} too, we share the account.",
                                                                    f"{of} told me to contact you."])]
            how = "a name from history"
        brand = BRANDS[sit.domain][0]
        voice_g = A.voice if A.voice != "curt" else "warm"
        A.greet = greeting(rng, voice_g, first, brand)
        while first not in A.greet:
            A.greet = greeting(rng, voice_g, first, brand)
        A2.greet = A.greet if rng.random() < 0.6 else greeting(rng, voice_g, first, brand)
        while first not in A2.greet:
            A2.greet = greeting(rng, voice_g, first, brand)
        B.greet = A.greet.replace(first, of)
        if rng.random() < 0.3:
            for lane, nm in ((A, first), (A2, first), (B, of)):
                lane.extra = [f"Thanks for your patience, {nm}."]
        expect, note = "reply.facts.name", f"{first} -> {of} ({how})"
    elif cls == "other-users-data":
        other = person(rng, exclude=[name] if name else [])
        mode = ["email", "phone", "record-memory", "record"][n % 4]
        me = name or person(rng, exclude=[other])
        if mode in ("email", "phone"):
            mine, theirs = (email_of(rng, me), email_of(rng, other)) if mode == "email" else (phone_of(rng), phone_of(rng))
            tpl = rng.choice(["I've sent a confirmation to {x}.", "A copy is on its way to {x}.", "You'll get an email at {x} with the details."]
                             if mode == "email" else ["We'll text updates to {x}.", "Updates will go by SMS to {x}.", "You'll get a text at {x} when anything changes."])
            people = [{"name": me, ("email" if mode == "email" else "phone"): mine}]
            if rng.random() < 0.5:  # a lookup that matched two customers; the new stack picked the wrong one
                people.append({"name": other, ("email" if mode == "email" else "phone"): theirs})
                src = "lookup matched two customers"
            else:
                src = "ungrounded"
            inp["skills"] = inp["skills"] + [skill("find_customer", {"query": me.split()[-1]}, {"matches": people})]
            A.extra, A2.extra, B.extra = [tpl.format(x=mine)], [tpl.format(x=mine)], [tpl.format(x=theirs)]
            note = f"{mode} of {other} ({src})"
        else:
            oid = new_facts(sit, rng, base)[sit.id_keys[0]]
            leak = sit.leak.format(oname=other, oid=oid)
            B.extra = [leak]
            if mode == "record-memory":
                over = {"b": {"memory": {"retrieved": (memory["retrieved"] if memory else []) +
                                         [{"text": f"{other} asked about {oid} on the phone yesterday.", "id": f"mem-{rng.randint(100, 999)}", "score": 0.74}],
                                         "written": []}}}
                note = f"{other}'s record {oid} (retrieved from another user's memory in the new lane)"
            else:
                note = f"{other}'s record {oid} (ungrounded)"
    else:
        raise ValueError(cls)

    return make_record(rid, cls, sit, "regression" if regression else "ok", inp, [render(sit, f, A), render(sit, f, A2), render(sit, f, B)],
                       expect=expect, note=note, memory=memory, lane_over=over)


def main():
    rng = random.Random(SEED)
    records = []
    for cls in OK_CLASSES + REG_CLASSES:
        offset = rng.randrange(len(SITS))
        for n in range(PER_CLASS):
            records.append(build(cls, rng, n, n + offset))
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if "--check" in sys.argv:
        with open(OUT, encoding="utf-8") as fh:
            if fh.read() != text:
                sys.exit("holdout.jsonl is stale: run python3 scenarios/detection/generate_holdout.py")
        return
    with open(OUT, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {len(records)} records to {OUT}")


if __name__ == "__main__":
    main()
