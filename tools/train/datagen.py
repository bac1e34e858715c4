"""datagen.py — seeded synthetic dictations and conversations in the four template domains, each paired with its
reference note: a JSON value valid under the product's template (templates/<template>.schema.json, property order
as in the schema), every fact of which is stated in the transcript. Generated locally from word lists; nothing
comes from the network.

Two styles: "dictation" (the professional speaks the note after the meeting) and "conversation" (the meeting
itself, speaker-labelled turns, facts scattered over the dialogue). Filler words and false starts are inserted
at a random rate. Dates in notes are ISO (YYYY-MM-DD, as the schema's format date wants); transcripts say them
the way people do ("the 4th of March 2026", "March 4, 2026", "4/3/2026").

Splits are held out by seed: example i of split S comes from seed SPLIT_BASE[S] + i, disjoint ranges, so no
example is shared between splits. The prompt is the one apps/scribe/note.cpp (write_note) sends: the template's
description, the transcript, then the answer request, in the model's chat format.

Usage: /usr/bin/python3 tools/train/datagen.py OUT_DIR [--n-train N] [--n-val N] [--n-test N]
       [--style dictation|conversation|mixed]
Writes OUT_DIR/{train,validation,test}.jsonl, one {"domain", "style", "transcript", "note"} object per line.
"""
import argparse
import json
import os
import random

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SPLIT_BASE = {"train": 0, "validation": 10_000_000, "test": 20_000_000}
DOMAINS = ["soap", "legal", "hr", "finance"]

FIRST = ["James", "Maria", "Aisha", "Tom", "Priya", "Chen", "Olivia", "Liam", "Fatima", "Noah", "Grace", "Omar",
         "Sofia", "Ethan", "Hannah", "Ravi", "Zoe", "Daniel", "Amara", "Lucas", "Ingrid", "Mateo", "Yusuf", "Elena",
         "Kofi", "Mei", "Jack", "Leila", "Arjun", "Nina", "Samuel", "Chloe", "Ivan", "Rosa", "Tariq", "Emily"]
LAST = ["Smith", "Garcia", "Khan", "Brown", "Patel", "Wong", "Jones", "Murphy", "Ali", "Taylor", "Evans", "Nguyen",
        "Rossi", "Walker", "Okafor", "Clarke", "Hughes", "Silva", "Martin", "Young", "Novak", "Larsen", "Mensah",
        "Kowalski", "Dubois", "Fischer", "Haddad", "Reid", "Byrne", "Sato", "Costa", "Ahmed"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
FILLERS = ["um", "uh", "you know", "like", "sort of", "I mean", "okay so", "right", "er"]

SYMPTOMS = ["a dry cough", "a productive cough", "headaches", "lower back pain", "a sore throat", "chest tightness",
            "heartburn", "low mood", "dizziness", "shortness of breath", "knee pain", "a rash on the arm",
            "abdominal pain", "ear pain", "fatigue", "palpitations", "a blocked nose", "painful urination"]
MODIFIERS = ["worse at night", "worse in the morning", "worse on exertion", "eased by rest", "no fever",
             "mild fever at home", "no weight loss", "poor sleep", "not eating well", "no vomiting",
             "getting slowly worse", "comes and goes", "started after a cold", "no recent travel"]
FINDINGS = ["chest clear", "wheeze on both sides", "throat red with enlarged tonsils", "abdomen soft and non tender",
            "tender over the lower spine", "ear drum red and bulging", "no rash seen", "mild swelling of the knee",
            "crackles at the right base", "heart sounds normal", "pupils equal and reactive"]
DIAGNOSES = ["chest infection", "tension headache", "mechanical back pain", "tonsillitis", "asthma exacerbation",
             "reflux", "depression", "viral illness", "otitis media", "urinary tract infection", "osteoarthritis",
             "benign positional vertigo", "contact dermatitis", "sinusitis", "anxiety", "gastritis"]
PLANS = ["chest x-ray", "blood tests", "urine sample", "rest and fluids", "physiotherapy referral",
         "stop smoking advice", "sleep hygiene advice", "return if symptoms worsen", "ECG today",
         "referral to ENT", "talking therapy referral", "ice and elevation", "steam inhalation"]
MEDS = [("amoxicillin", ["250 mg", "500 mg"]), ("ibuprofen", ["200 mg", "400 mg"]), ("metformin", ["500 mg", "850 mg"]),
        ("lisinopril", ["5 mg", "10 mg"]), ("atorvastatin", ["20 mg", "40 mg"]), ("omeprazole", ["20 mg", "40 mg"]),
        ("sertraline", ["50 mg", "100 mg"]), ("salbutamol", ["100 micrograms"]), ("paracetamol", ["500 mg", "1 g"]),
        ("nitrofurantoin", ["50 mg", "100 mg"]), ("prednisolone", ["5 mg", "30 mg"]), ("cetirizine", ["10 mg"])]
FREQS = ["once daily", "twice daily", "three times daily", "every 8 hours", "at night", "as needed",
         "four times daily", "every morning"]

MATTERS = ["a boundary dispute with a neighbour", "an unfair dismissal claim", "the renewal of a shop lease",
           "the probate of an estate", "a dispute over a building contract", "a personal injury claim",
           "a divorce settlement", "the purchase of a house", "a debt recovery claim", "a will"]
ADVICE = ["the claim has reasonable prospects", "costs are likely to exceed the amount in dispute",
          "mediation should be tried first", "the limitation period ends soon", "the lease terms are standard",
          "the evidence is strong on liability", "a settlement offer would be sensible",
          "the contract allows termination with notice"]
INSTRUCT = ["proceed with the claim", "make a settlement offer", "wait for the other side to reply",
            "prepare a draft will", "start the conveyancing", "not to take any action for now",
            "negotiate a lower rent"]
STEPS = ["send a letter before action", "request the title deeds", "obtain the employment contract",
         "file the claim form", "draft a witness statement", "instruct a surveyor", "write to the landlord",
         "book a mediation session", "gather the bank statements", "call the other solicitor"]
ROLES = ["her husband", "his wife", "a trainee solicitor", "the client's daughter", "an interpreter",
         "the client's accountant", "a paralegal"]

INCIDENTS = [("conduct", "a shouting match between two colleagues"), ("safety", "a slip on a wet floor"),
             ("safety", "a near miss with a forklift"), ("harassment", "repeated unwanted comments"),
             ("attendance", "three days of unreported absence"), ("performance", "missed delivery deadlines"),
             ("conduct", "an offensive message in the team chat"), ("other", "a lost laptop"),
             ("safety", "a cut hand from a box cutter"), ("harassment", "an inappropriate email")]
LOCATIONS = ["the warehouse", "the front office", "the staff canteen", "loading bay two", "the car park",
             "the second floor meeting room", "the shop floor", "the kitchen", "the reception area"]
HR_ACTIONS = ["arranged a formal investigation meeting", "offered occupational health support",
              "issued a written warning", "scheduled refresher training", "reviewed the CCTV footage",
              "moved the employee to another shift", "reported it to the safety officer",
              "spoke to both parties informally"]

GOALS = ["retirement planning", "saving for a house deposit", "school fees planning", "paying down debt",
         "building an emergency fund", "income in retirement", "passing wealth to the children"]
RISKS = ["cautious", "balanced", "growth", "adventurous"]
HOLDINGS = ["a cash ISA", "a workplace pension", "premium bonds", "a stocks and shares ISA", "a buy to let flat",
            "a current account", "company shares", "a personal pension"]
RECS = ["open a stocks and shares ISA", "increase pension contributions", "keep an emergency fund in cash",
        "consolidate the old pensions", "use the annual ISA allowance", "buy a global index fund",
        "repay the credit card first", "review the will", "take out life cover"]


def iso(d):
    return f"{d[0]:04d}-{d[1]:02d}-{d[2]:02d}"


def rand_date(r):
    return (r.randint(2023, 2027), r.randint(1, 12), r.randint(1, 28))


def spoken_date(r, d):
    y, m, day = d
    suf = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return r.choice([f"the {day}{suf} of {MONTHS[m - 1]} {y}", f"{MONTHS[m - 1]} {day}, {y}",
                     f"{day} {MONTHS[m - 1]} {y}", f"{day}/{m}/{y}"])


def name(r):
    return f"{r.choice(FIRST)} {r.choice(LAST)}"


def join_and(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def disfluent(r, text, rate):
    """Inserts filler words and the odd repeated word (a false start) at the given rate."""
    out = []
    for w in text.split(" "):
        if r.random() < rate:
            out.append(r.choice(FILLERS) + ",")
        if r.random() < rate / 3 and w.isalpha():
            out.append(w + ",")
        out.append(w)
    return " ".join(out)


# Each domain returns (note, dictation sentences, conversation turns [(speaker, text)]).
def soap(r):
    sym, mods = r.choice(SYMPTOMS), r.sample(MODIFIERS, r.randint(1, 2))
    days = r.randint(2, 30)
    subjective = f"{sym} for {days} days, {', '.join(mods)}"
    vit = [f"temperature {round(r.uniform(36.1, 39.6), 1)}", f"heart rate {r.randint(52, 124)}",
           f"blood pressure {r.randint(100, 170)} over {r.randint(60, 100)}", f"oxygen saturation {r.randint(91, 99)}%"]
    objective = ", ".join(r.sample(vit, r.randint(1, 3)) + r.sample(FINDINGS, r.randint(1, 2)))
    dx = r.choice(DIAGNOSES)
    plan = ", ".join(r.sample(PLANS, r.randint(1, 2)))
    meds = [{"name": m, "dose": r.choice(doses), "frequency": r.choice(FREQS)}
            for m, doses in r.sample(MEDS, r.choice([0, 1, 1, 1, 2, 2]))]
    fu = rand_date(r)
    note = {"subjective": subjective, "objective": objective, "assessment": dx, "plan": plan,
            "medications": meds, "follow_up": iso(fu)}
    pt = name(r)
    med_txt = [r.choice([f"Start {m['name']} {m['dose']} {m['frequency']}.",
                         f"Prescribed {m['name']} {m['dose']} {m['frequency']}.",
                         f"{m['name'].capitalize()} {m['dose']}, {m['frequency']}."]) for m in meds]
    when = spoken_date(r, fu)
    dict_s = [r.choice([f"Consultation with {pt}.", f"Seeing {pt} today.", f"Next patient is {pt}."]),
              r.choice([f"Presents with {subjective}.", f"Complains of {subjective}.", f"History of {subjective}."]),
              r.choice([f"On examination {objective}.", f"Examination shows {objective}."]),
              r.choice([f"Impression is {dx}.", f"Most likely {dx}.", f"Assessment {dx}."]),
              r.choice([f"Plan, {plan}.", f"Plan is {plan}."])] + med_txt + \
             [r.choice([f"Review on {when}.", f"Follow up on {when}."])]
    conv = [("Doctor", r.choice(["What brings you in today?", "How can I help today?", "Come in, what's going on?"])),
            ("Patient", f"I've had {sym} for {days} days, {', '.join(mods)}."),
            ("Doctor", "Let me examine you."),
            ("Doctor", f"So, {objective}."),
            ("Doctor", r.choice([f"I think this is {dx}.", f"It looks like {dx}."])),
            ("Patient", r.choice(["What should I do?", "Okay. What now?", "Is it serious?"])),
            ("Doctor", f"We'll do {plan}.")] + [("Doctor", t) for t in med_txt] + \
           [("Doctor", f"I'll see you again on {when}."), ("Patient", r.choice(["Thank you.", "Thanks, doctor."]))]
    return note, dict_s, conv


def legal(r):
    client, d = name(r), rand_date(r)
    matter = r.choice(MATTERS)
    others = [name(r) + ", " + role for role in r.sample(ROLES, r.randint(0, 2))]
    lawyer = name(r)
    attendees = [client, lawyer] + others
    adv = r.sample(ADVICE, r.randint(1, 2))
    ins = r.choice(INSTRUCT)
    steps = r.sample(STEPS, r.randint(1, 3))
    mins = r.choice([15, 20, 30, 40, 45, 60, 75, 90, 120])
    summary = f"meeting with {client} about {matter}"
    note = {"client": client, "matter": matter, "date": iso(d), "attendees": attendees, "summary": summary,
            "advice_given": "; ".join(adv), "instructions": ins, "next_steps": steps, "time_spent_minutes": mins}
    when = spoken_date(r, d)
    present = join_and(attendees)
    dict_s = [r.choice([f"Attendance note of a meeting on {when}.", f"Meeting on {when}."]),
              f"Present were {present}.",
              f"{client} came to see us about {matter}.",
              r.choice([f"I advised that {join_and(adv)}.", f"My advice was that {join_and(adv)}."]),
              r.choice([f"The client instructed us to {ins}.", f"Instructions, {ins}."]),
              f"Next steps, {join_and(steps)}.",
              r.choice([f"Time spent {mins} minutes.", f"The meeting took {mins} minutes."])]
    conv = [("Lawyer", f"This is a meeting on {when} with {present}."),
            ("Client", f"I've come about {matter}."),
            ("Lawyer", f"My view is that {join_and(adv)}."),
            ("Client", f"Then I'd like you to {ins}."),
            ("Lawyer", f"Fine. We will {join_and(steps)}."),
            ("Lawyer", f"For the record we spent {mins} minutes.")]
    return note, dict_s, conv


def hr(r):
    emp, rep, d = name(r), name(r), rand_date(r)
    cat, what = r.choice(INCIDENTS)
    loc = r.choice(LOCATIONS)
    wit = [name(r) for _ in range(r.randint(0, 2))]
    act = r.choice(HR_ACTIONS)
    fu = r.random() < 0.6
    desc = f"{what} in {loc}"
    note = {"employee": emp, "reported_by": rep, "incident_date": iso(d), "location": loc, "category": cat,
            "description": desc, "witnesses": wit, "actions_taken": act, "follow_up_required": fu}
    when = spoken_date(r, d)
    wit_s = f"Witnesses were {join_and(wit)}." if wit else "There were no witnesses."
    fu_s = r.choice(["A follow up is required.", "We need to follow this up."]) if fu else \
        r.choice(["No follow up is required.", "Nothing further is needed."])
    dict_s = [f"Incident report about {emp}, reported by {rep}.",
              f"On {when} there was {what} in {loc}.", wit_s, f"We {act}.", fu_s]
    conv = [("HR", f"You're reporting something about {emp}?"),
            ("Employee", f"Yes, I'm {rep}. On {when} there was {what} in {loc}."),
            ("HR", "Did anyone else see it?"),
            ("Employee", f"Yes, {join_and(wit)} saw it." if wit else "No, nobody else was there."),
            ("HR", f"Thank you. We {act}."),
            ("HR", fu_s)]
    return note, dict_s, conv


def finance(r):
    client, d = name(r), rand_date(r)
    months = d[1] - 1 + r.choice([3, 6, 12])
    nd = (d[0] + months // 12, months % 12 + 1, r.randint(1, 28))
    goals = r.sample(GOALS, r.randint(1, 2))
    risk = r.choice(RISKS) if r.random() < 0.85 else "not discussed"
    hold = r.sample(HOLDINGS, r.randint(1, 3))
    amounts = [f"{h} worth {r.randint(1, 300) * 1000} pounds" for h in hold]
    recs = r.sample(RECS, r.randint(1, 3))
    fees = r.random() < 0.7
    note = {"client": client, "meeting_date": iso(d), "objectives": " and ".join(goals), "risk_profile": risk,
            "current_holdings": ", ".join(amounts), "recommendations": recs, "fees_disclosed": fees,
            "next_review": iso(nd)}
    when, nwhen = spoken_date(r, d), spoken_date(r, nd)
    risk_s = {True: f"Their attitude to risk is {risk}.", False: "We did not discuss attitude to risk."}[
        risk != "not discussed"]
    fee_s = "Our fees were explained and agreed." if fees else "Fees were not covered today."
    dict_s = [f"Advice meeting with {client} on {when}.", f"Objectives are {' and '.join(goals)}.", risk_s,
              f"They currently hold {join_and(amounts)}.", f"I recommended to {join_and(recs)}.", fee_s,
              f"Next review on {nwhen}."]
    conv = [("Adviser", f"Thanks for coming in, {client}. Today is {when}."),
            ("Client", f"I want to talk about {' and '.join(goals)}."),
            ("Adviser", "What do you have at the moment?"),
            ("Client", f"I have {join_and(amounts)}."),
            ("Adviser", risk_s.replace("Their", "Your").replace("We did not discuss", "We haven't discussed")),
            ("Adviser", f"My recommendation is to {join_and(recs)}."),
            ("Adviser", fee_s),
            ("Adviser", f"Let's review this on {nwhen}.")]
    return note, dict_s, conv


GEN = {"soap": soap, "legal": legal, "hr": hr, "finance": finance}


def example(seed, style="mixed"):
    """One {"domain", "style", "transcript", "note"} from a seed; deterministic."""
    r = random.Random(seed)
    domain = DOMAINS[seed % 4]
    note, dict_s, conv = GEN[domain](r)
    if style == "mixed":
        style = r.choice(["dictation", "conversation"])
    rate = r.choice([0.0, 0.03, 0.08, 0.15])
    if style == "dictation":
        transcript = " ".join(disfluent(r, s, rate) for s in dict_s)
    else:
        transcript = "\n".join(f"{who}: {disfluent(r, t, rate)}" for who, t in conv)
    return {"domain": domain, "style": style, "transcript": transcript, "note": note}


def split(name, n, style="mixed"):
    return [example(SPLIT_BASE[name] + i, style) for i in range(n)]


_SCHEMAS = {}


def schema(domain):
    if domain not in _SCHEMAS:
        with open(os.path.join(ROOT, "templates", domain + ".schema.json")) as f:
            _SCHEMAS[domain] = json.load(f)
    return _SCHEMAS[domain]


def note_json(note):
    return json.dumps(note, separators=(", ", ": "))


def user_text(ex):
    """The user turn exactly as apps/scribe/note.cpp (write_note) builds it."""
    return (schema(ex["domain"])["description"] + "\n\nTranscript:\n" + ex["transcript"] +
            "\n\nAnswer with the JSON note only.")


def prompt_text(ex):
    """ChatML prompt (the assistant turn left open), as the engine's chat format renders it."""
    return f"<|im_start|>user\n{user_text(ex)}<|im_end|>\n<|im_start|>assistant\n"


def train_text(ex):
    return prompt_text(ex) + note_json(ex["note"]) + "<|im_end|>\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--n-train", type=int, default=20000)
    ap.add_argument("--n-val", type=int, default=500)
    ap.add_argument("--n-test", type=int, default=500)
    ap.add_argument("--style", default="mixed", choices=["mixed", "dictation", "conversation"])
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for nm, n in [("train", a.n_train), ("validation", a.n_val), ("test", a.n_test)]:
        with open(os.path.join(a.out, nm + ".jsonl"), "w") as f:
            for ex in split(nm, n, a.style):
                f.write(json.dumps(ex) + "\n")


if __name__ == "__main__":
    main()
