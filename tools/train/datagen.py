"""datagen.py — seeded synthetic dictations and conversations in the four template domains, each paired with its
reference note: a JSON value valid under the product's template (templates/<template>.schema.json, property order
as in the schema). Generated locally from word lists; nothing comes from the network.

What a note holds: every value is stated in the transcript, or null where the transcript does not state the
fact (the model learns to abstain: no exam said -> "objective": null, a drug without a dose -> "dose": null,
no review said -> "follow_up": null, fees never mentioned -> "fees_disclosed": null); an empty list where
none are said. A number the speaker corrects ("500 mg, actually make that 250 mg", "heart rate 88, sorry,
84") appears in the note with its corrected value only. Relative dates ("in two weeks", "in 3 months"): with
a visit date (in the prompt as "Visit date: YYYY-MM-DD", as `sotto note --visit-date` sends it) the note
holds the resolved date; without one it holds the words as said ("in two weeks"). The date of a legal or
financial meeting is the visit date when one is given, said or not (the meeting is the visit).

Styles: "dictation" (the professional speaks the note after the meeting) and "conversation" (speaker-labelled
turns with small talk, digressions, history the note does not record, an examination narrated aloud, facts
scattered over the dialogue). Lengths: "short" (a few filler turns), "medium" (padded to 200-450 words;
training fits 1,024 tokens), "long" (1,000-4,000 words: the consultations of issue 16, beyond the default
model's training sequence; generated for evaluation only). Filler words and false starts at a random rate.

Generator families (datagen_lex.py, datagen_phrases.py, datagen_talk.py): "train" for the train, validation
and in-family test splits; "heldout" — other names, drugs, symptoms, matters, incidents and holdings, other
sentence templates, correction cues, speaker labels and small talk — only for the held-out test sets
(test-heldout, test-long). Splits also use disjoint seed ranges (SPLIT_BASE). The training family is the more varied one: most
of its sentences are composed from parts and some facts said as exchanges (datagen_compose.py), half of its
free-text values are made up from parts (datagen_open.py), values are said in several forms (units, sums,
durations), and its medium conversations are held to an estimated 880 tokens (est_tokens); the held-out
family's output is unchanged by these (none of its random draws move). datagen_stats.py measures the diversity.

The prompt is the one apps/scribe/note.cpp (note_user_turn) sends: the template's description, the visit date
line when there is one, the transcript, then the answer request, in the model's chat format.

Usage: /usr/bin/python3 tools/train/datagen.py OUT_DIR [--n-train N] [--n-val N] [--n-test N] [--n-heldout N]
       [--n-long N] [--style dictation|conversation|mixed] [--length short|medium|mixed] [--offset K]
Writes OUT_DIR/{train,validation,test,test-heldout,test-long}.jsonl (those with N > 0), one {"domain",
"style", "family", "length", "words", "transcript", "note"[, "visit_date"]} object per line.
"""
import argparse
import datetime
import json
import os
import random

import re

import datagen_compose as CP
import datagen_lex as LX
import datagen_open as OP
import datagen_phrases as PH
import datagen_talk as TK

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SPLIT_BASE = {"train": 0, "validation": 10_000_000, "test": 20_000_000, "test-heldout": 30_000_000,
              "test-long": 40_000_000}
SPLIT_FAMILY = {"train": "train", "validation": "train", "test": "train", "test-heldout": "heldout",
                "test-long": "heldout"}
DOMAINS = ["soap", "legal", "hr", "finance"]
FILLERS = ["um", "uh", "you know", "like", "sort of", "I mean", "okay so", "right", "er"]
P_NULL = 0.25  # chance that an optional fact is not said at all
P_CORR = 0.3   # chance of a spoken correction of one number
# Training family only (the held-out family's draws are untouched: its test sets are the same as before):
P_COMPOSE = 0.8   # a fact's sentence composed from parts (datagen_compose) rather than a fixed template
P_EXCHANGE = 0.35  # a conversation fact said as an exchange (asked for, echoed, proposed and confirmed, split)
P_OPEN = 0.5      # a free-text value made up from parts (datagen_open) rather than drawn from the lists
P_NAMED = 0.25    # a conversation whose speakers are labelled by name ("Dr Brailot:", "Feam:")
MEDIUM_BUDGET = 880  # training family, medium: est_tokens of the whole training text at most (filler turns dropped)
# tokenizer.py's GPT-2 pre-split (copied: tokenizer.py pulls in tools/ref); see est_tokens
_PIECES = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+")
VITAL_NAMES = {"temperature": ["temp"], "heart rate": ["pulse", "pulse rate"], "blood pressure": ["BP"],
               "oxygen saturation": ["sats", "oxygen sats", "O2 sats"]}
VITAL_UNITS = {"temperature": ["", " degrees"], "heart rate": ["", " beats per minute", " bpm"],
               "oxygen saturation": ["%", " percent"]}


class Gen:
    """The random source and the family's lists and phrasings for one example."""

    def __init__(self, seed, family):
        self.r = random.Random(seed)
        self.family = family
        self.train = family == "train"
        self.L, self.P, self.T = LX.FAMILIES[family], PH.FAMILIES[family], TK.FAMILIES[family]
        self.exam_said = None

    @staticmethod
    def _caps(kw):
        for k in list(kw):
            v = str(kw[k])
            kw[k[0].upper() + k[1:]] = v[:1].upper() + v[1:]
        return kw

    def say(self, key, who="pro", **kw):
        """One sentence stating the fact: a fixed template, or (training family) one composed from parts."""
        kw = self._caps(kw)
        t = CP.template(self.r, key, who) if self.train and self.r.random() < P_COMPOSE else None
        return (t or self.r.choice(self.P[key])).format(**kw)

    def turns(self, who, key, **kw):
        """[(who, text)]: the fact in one turn, or (training family) an exchange of two or three turns."""
        if self.train and self.r.random() < P_EXCHANGE:
            ex = CP.exchange(self.r, key, who)
            if ex:
                kw = self._caps(kw)
                return [(w, t.format(**kw)) for w, t in ex]
        return [(who, self.say(key, who, **kw))]

    def pick(self, key):
        """One value of a list key: from the family's list, or (training family) made up from parts."""
        if self.train and self.r.random() < P_OPEN:
            return OP.phrase(self.r, key)
        return self.r.choice(self.L[key])

    def picks(self, key, k):
        """k distinct values of a list key (as r.sample for the held-out family)."""
        if not self.train:
            return self.r.sample(self.L[key], k)
        out = []
        while len(out) < k:
            x = self.pick(key)
            if x not in out:
                out.append(x)
        return out

    def incident(self):
        if self.train and self.r.random() < P_OPEN:
            return OP.incident(self.r)
        return self.r.choice(self.L["incidents"])

    def unit_form(self, dose):
        """A listed dose as said (training family): "500 mg" or "500 milligrams", "100 micrograms" or "mcg"."""
        if self.train and self.r.random() < 0.25:
            return dose.replace(" mg", " milligrams").replace(" micrograms", " mcg")
        return dose

    def duration(self):
        """How long a symptom has lasted, as said."""
        n = self.r.randint(2, 20)
        if not self.train or self.r.random() < 0.5:
            return f"{self.num(n)} days"
        return self.r.choice([f"{self.num(self.r.randint(2, 8))} weeks", f"{self.num(self.r.randint(2, 6))} months",
                              "a week", "a fortnight", "a month", "a couple of days", f"{self.num(n)} hours",
                              f"about {self.num(self.r.randint(2, 9))} weeks"])

    def amount(self, a):
        """A sum of money as said (training family: "12000", "12,000" or "12 thousand")."""
        if not self.train:
            return str(a)
        k = self.r.random()
        return f"{a:,}" if k < 0.35 else f"{a // 1000} thousand" if k < 0.5 else str(a)

    def name(self):
        if self.family == "train" and self.r.random() < 0.5:  # made up: to be copied, not learnt by heart
            return LX.made_up_name(self.r)
        return f"{self.r.choice(self.L['first'])} {self.r.choice(self.L['last'])}"

    def meds(self, k):
        """k drugs (name, doses): from the family's list, or made up (training family, half of them)."""
        out = []
        for m in self.r.sample(self.L["meds"], k):
            out.append(LX.made_up_drug(self.r) if self.family == "train" and self.r.random() < 0.5 else m)
        return out

    def null(self, p=P_NULL):
        return self.r.random() < p

    def corrected(self, wrong, right):
        return self.r.choice(self.P["corr"]).format(wrong=wrong, right=right)

    def num(self, n):
        """A whole number as said: digits, or words up to twenty."""
        return LX.NUM_WORDS[n] if n <= 20 and self.r.random() < 0.4 else str(n)


def iso(d):
    return f"{d[0]:04d}-{d[1]:02d}-{d[2]:02d}"


def rand_date(r):
    return (r.randint(2023, 2027), r.randint(1, 12), r.randint(1, 28))


def spoken_date(r, d):
    y, m, day = d
    suf = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return r.choice([f"the {day}{suf} of {LX.MONTHS[m - 1]} {y}", f"{LX.MONTHS[m - 1]} {day}, {y}",
                     f"{day} {LX.MONTHS[m - 1]} {y}", f"{day}/{m}/{y}"])


def relative(g, visit):
    """A relative date: (as said, "in two weeks"; the note's value: the resolved ISO date with a visit date,
    else the words as said)."""
    unit, n = g.r.choice([("days", g.r.choice([3, 5, 10])), ("weeks", g.r.randint(1, 6)),
                          ("months", g.r.choice([1, 2, 3, 6]))])
    said = f"in {g.num(n)} {unit[:-1] if n == 1 else unit}"
    if g.r.random() < 0.15 and unit == "weeks" and n == 1:
        said = "in a week"
    if not visit:
        return said, said
    v = datetime.date(*visit)
    if unit == "days":
        d = v + datetime.timedelta(days=n)
    elif unit == "weeks":
        d = v + datetime.timedelta(weeks=n)
    else:
        m = v.month - 1 + n
        d = datetime.date(v.year + m // 12, m % 12 + 1, min(v.day, 28))
    return said, d.isoformat()


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


def later(r, d, lo, hi):
    """A date lo..hi days after d."""
    x = datetime.date(*d) + datetime.timedelta(days=r.randint(lo, hi))
    return (x.year, x.month, x.day)


def follow_up(g, visit, key_abs, key_rel, dkey_abs, dkey_rel):
    """(note value, conversation turns or None, dictation sentence or None) of a follow-up / next review."""
    k = g.r.random()
    if k < 0.3:
        return None, None, None
    if k < 0.65:
        d = later(g.r, visit, 7, 200) if visit else rand_date(g.r)
        when = spoken_date(g.r, d)
        return iso(d), g.turns("pro", key_abs, when=when), g.say(dkey_abs, when=when)
    said, value = relative(g, visit)
    return value, g.turns("pro", key_rel, rel=said), g.say(dkey_rel, rel=said)


# Each domain returns (note, dictation sentences, conversation turns [(who, text)] with who "pro"/"cl").
def soap(g, visit):
    r, L = g.r, g.L
    sym, mods = g.pick("symptoms"), g.picks("modifiers", r.randint(1, 2))
    dur = g.duration()
    subjective = f"{sym} for {dur}, {', '.join(mods)}"
    corr = r.random() < P_CORR
    vit_all = [("temperature", f"{round(r.uniform(36.1, 39.6), 1)}"), ("heart rate", str(r.randint(52, 124))),
               ("blood pressure", f"{r.randint(100, 170)} over {r.randint(60, 100)}"),
               ("oxygen saturation", f"{r.randint(91, 99)}%")]
    vit = r.sample(vit_all, r.randint(0, 3))
    if g.train:  # other names and units, said and written alike ("pulse 88 bpm", "sats 96 percent", "BP 130/85")
        vit = [(r.choice([n, n] + VITAL_NAMES[n]),
                v.replace(" over ", r.choice([" over ", "/"])) if n == "blood pressure" else
                v.rstrip("%") + r.choice(VITAL_UNITS[n])) for n, v in vit]
    finds = g.picks("findings", r.randint(0 if vit else 1, 2))
    examined = not g.null()
    objective = ", ".join([f"{n} {v}" for n, v in vit] + finds) if examined else None
    dx = None if g.null() else g.pick("diagnoses")
    plan = None if g.null() else ", ".join(g.picks("plans", r.randint(1, 2)))
    meds, med_c, med_d = [], [], []
    for m, doses in g.meds(r.choice([0, 1, 1, 1, 2, 2])):
        k = r.random()
        dose, freq = (g.unit_form(r.choice(doses)), r.choice(LX.FREQS)) if k < 0.7 else \
            (None, r.choice(LX.FREQS)) if k < 0.85 else (None, None)
        meds.append({"name": m, "dose": dose, "frequency": freq})
        said_dose = dose
        if dose and corr and len(doses) > 1:
            said_dose = g.corrected(g.unit_form(r.choice([x for x in doses if x != dose])), dose)
            corr = False
        if dose:
            med_c += g.turns("pro", "c_med", name=m, dose=said_dose, freq=freq)
            med_d.append(g.say("d_med", name=m, dose=said_dose, freq=freq))
        elif freq:
            med_c += g.turns("pro", "c_med_nodose", name=m, freq=freq)
            med_d.append(g.say("c_med_nodose", name=m, freq=freq))
        else:
            med_c += g.turns("pro", "c_med_bare", name=m)
            med_d.append(g.say("c_med_bare", name=m))
    fu, fu_c, fu_d = follow_up(g, visit, "c_fu_abs", "c_fu_rel", "d_fu_abs", "d_fu_rel")
    note = {"subjective": subjective, "objective": objective, "assessment": dx, "plan": plan, "medications": meds,
            "follow_up": fu}
    vit_said = []
    for n, v in vit:  # a correction of a vital sign, when no dose took it
        if corr and n in ("heart rate", "oxygen saturation", "pulse", "pulse rate", "sats", "oxygen sats", "O2 sats"):
            d = r.choice([-4, -2, 3, 5])
            wrong = re.sub(r"^\d+", lambda x: str(int(x[0]) + d), v)
            v, corr = g.corrected(wrong, v), False
        vit_said.append((n, v))
    obj_said = ", ".join([f"{n} {v}" for n, v in vit_said] + finds)
    pt = g.name()
    dict_s = [g.say("d_open", pt=pt), g.say("d_subj", subj=subjective)]
    dict_s += [g.say("d_obj", obj=obj_said)] if examined else []
    dict_s += [g.say("d_dx", dx=dx)] if dx else []
    dict_s += [g.say("d_plan", plan=plan)] if plan else []
    dict_s += med_d + ([fu_d] if fu_d else [])
    conv = [("pro", g.say("c_ask"))] + g.turns("cl", "c_subj", sym=sym, dur=dur, mods=", ".join(mods))
    if examined:
        g.exam_said = g.say("c_exam")
        conv.append(("pro", g.exam_said))
        conv += [("pro", g.say("c_vital", vname=n, value=v)) for n, v in vit_said]
        conv += [("pro", g.say("c_find", finding=f)) for f in finds]
    conv += g.turns("pro", "c_dx", dx=dx) if dx else []
    conv += g.turns("pro", "c_plan", plan=plan) if plan else []
    conv += med_c + (fu_c or []) + [("cl", g.say("c_close", "cl"))]
    return note, dict_s, conv


def legal(g, visit):
    r, L = g.r, g.L
    client, d = g.name(), visit or rand_date(r)
    dated = not g.null()
    matter = g.pick("matters")
    others = [g.name() + ", " + role for role in r.sample(L["roles"], r.randint(0, 2))]
    lawyer = g.name()
    attendees = [client, lawyer] + others
    adv = None if g.null() else g.picks("advice", r.randint(1, 2))
    ins = None if g.null() else g.pick("instruct")
    steps = [] if g.null() else g.picks("steps", r.randint(1, 3))
    mins = None if g.null() else r.choice([15, 20, 30, 40, 45, 60, 75, 90, 120])
    mins_said = str(mins)
    if mins and r.random() < P_CORR:
        mins_said = g.corrected(str(mins + r.choice([-10, -5, 5, 15])), str(mins))
    note = {"client": client, "matter": matter, "date": iso(d) if dated or visit else None, "attendees": attendees,
            "summary": f"meeting with {client} about {matter}", "advice_given": "; ".join(adv) if adv else None,
            "instructions": ins, "next_steps": steps, "time_spent_minutes": mins}
    when = spoken_date(r, d)
    present = join_and(attendees)
    dict_s = [g.say("d_l_open", when=when) if dated else g.say("d_l_open_nodate")]
    dict_s += [g.say("d_l_present", present=present)]
    dict_s += [g.say("d_l_matter", client=client, matter=matter)]
    dict_s += [g.say("d_l_advice", adv=join_and(adv))] if adv else []
    dict_s += [g.say("d_l_instr", ins=ins)] if ins else []
    dict_s += [g.say("d_l_steps", steps=join_and(steps))] if steps else []
    dict_s += [g.say("d_l_time", mins=mins_said)] if mins else []
    conv = [("pro", g.say("c_l_open", when=when, present=present) if dated else
             g.say("c_l_open_nodate", present=present))] + g.turns("cl", "c_l_matter", matter=matter)
    conv += g.turns("pro", "c_l_advice", adv=join_and(adv)) if adv else []
    conv += g.turns("cl", "c_l_instr", ins=ins) if ins else []
    conv += g.turns("pro", "c_l_steps", steps=join_and(steps)) if steps else []
    conv += g.turns("pro", "c_l_time", mins=mins_said) if mins else []
    return note, dict_s, conv


def hr(g, visit):
    r, L = g.r, g.L
    emp, d = g.name(), later(r, visit, -30, 0) if visit else rand_date(r)
    rep = None if g.null(0.15) else g.name()
    dated = not g.null()
    cat, what = g.incident()
    loc = g.pick("locations")
    wit = [g.name() for _ in range(r.randint(0, 2))]
    asked = not g.null(0.2)
    act = None if g.null() else g.pick("hr_actions")
    fu = r.choice([True, False, None])
    note = {"employee": emp, "reported_by": rep, "incident_date": iso(d) if dated else None, "location": loc,
            "category": cat, "description": f"{what} in {loc}", "witnesses": wit if asked else [],
            "actions_taken": act, "follow_up_required": fu}
    when = spoken_date(r, d)
    ev = dict(what=what, loc=loc, when=when)
    dict_s = [g.say("d_h_open", emp=emp, rep=rep) if rep else g.say("d_h_open_norep", emp=emp),
              g.say("d_h_event", **ev) if dated else g.say("d_h_event_nodate", **ev)]
    if asked:
        dict_s.append(g.say("d_h_wit", wit=join_and(wit)) if wit else g.say("d_h_nowit"))
    dict_s += [g.say("d_h_act", act=act)] if act else []
    dict_s += [g.say("d_h_fu_yes" if fu else "d_h_fu_no")] if fu is not None else []
    conv = [("pro", g.say("c_h_open", emp=emp))]
    conv += g.turns("cl", "c_h_rep", rep=rep) if rep else []
    conv += g.turns("cl", "c_h_event", **ev) if dated else g.turns("cl", "c_h_event_nodate", **ev)
    if asked:
        conv += [("pro", g.say("c_h_ask_wit")),
                 ("cl", g.say("c_h_wit", "cl", wit=join_and(wit)) if wit else g.say("c_h_nowit", "cl"))]
    conv += g.turns("pro", "c_h_act", act=act) if act else []
    conv += [("pro", g.say("d_h_fu_yes" if fu else "d_h_fu_no"))] if fu is not None else []
    return note, dict_s, conv


def finance(g, visit):
    r, L = g.r, g.L
    client, d = g.name(), visit or rand_date(r)
    dated = not g.null()
    goals = g.picks("goals", r.randint(1, 2))
    k = r.random()
    risk = r.choice(LX.RISKS) if k < 0.65 else "not discussed" if k < 0.8 else None
    hold = g.picks("holdings", r.randint(1, 3))
    amounts = [r.randint(1, 300) * 1000 for _ in hold]
    forms = [g.amount(a) for a in amounts]  # as said and written
    said = list(forms)
    if r.random() < P_CORR:
        said[0] = g.corrected(g.amount(amounts[0] + r.choice([-1, 1, 5]) * 1000), forms[0])
    recs = [] if g.null(0.15) else g.picks("recs", r.randint(1, 3))
    fees = r.choice([True, True, False, None])
    rev, rev_c, rev_d = follow_up(g, visit, "c_f_rev_abs", "c_f_rev_rel", "d_f_rev_abs", "d_f_rev_rel")
    note = {"client": client, "meeting_date": iso(d) if dated or visit else None, "objectives": " and ".join(goals),
            "risk_profile": risk,
            "current_holdings": ", ".join(f"{h} worth {a} pounds" for h, a in zip(hold, forms)),
            "recommendations": recs, "fees_disclosed": fees, "next_review": rev}
    when = spoken_date(r, d)
    hold_said = join_and([f"{h} worth {a} pounds" for h, a in zip(hold, said)])
    dict_s = [g.say("d_f_open", client=client, when=when) if dated else g.say("d_f_open_nodate", client=client),
              g.say("d_f_goals", goals=" and ".join(goals))]
    dict_s += [g.say("d_f_risk", risk=risk) if risk != "not discussed" else g.say("d_f_norisk")] if risk else []
    dict_s += [g.say("d_f_hold", hold=hold_said)]
    dict_s += [g.say("d_f_recs", recs=join_and(recs))] if recs else []
    dict_s += [g.say("d_f_fees_yes" if fees else "d_f_fees_no")] if fees is not None else []
    dict_s += [rev_d] if rev_d else []
    conv = [("pro", g.say("c_f_open", client=client, when=when) if dated else g.say("c_f_open_nodate", client=client))]
    conv += g.turns("cl", "c_f_goals", goals=" and ".join(goals))
    conv += [("pro", g.say("c_f_ask_hold")), ("cl", g.say("c_f_hold", "cl", hold=hold_said))]
    conv += (g.turns("pro", "c_f_risk", risk=risk) if risk != "not discussed" else [("pro", g.say("c_f_norisk"))]) \
        if risk else []
    conv += g.turns("pro", "c_f_recs", recs=join_and(recs)) if recs else []
    conv += [("pro", g.say("c_f_fees_yes" if fees else "c_f_fees_no"))] if fees is not None else []
    conv += rev_c or []
    return note, dict_s, conv


def named_labels(g, domain, note):
    """Speaker labels by name (training family): the professional by a short made-up name, with a title or not
    (the lawyer of the attendees by first name), the client by first name (the note's client or reporter when
    there is one). Short: a label is repeated on every turn of a medium conversation."""
    r = g.r
    who = note.get("client") or note.get("reported_by") or LX.made_up_name(r)
    cl = who.split()[0]
    if domain == "legal":
        return note["attendees"][1].split()[0], cl
    title = r.choice(["Dr", "Doctor", "Nurse"] if domain == "soap" else ["Mr", "Ms", "Mrs"])
    pro = f"{title} {LX.made_up_word(r, r.randint(1, 2)).capitalize()}" if r.random() < 0.7 else \
        LX.made_up_word(r, r.randint(1, 2)).capitalize()
    return pro, cl


GEN = {"soap": soap, "legal": legal, "hr": hr, "finance": finance}
LENGTHS = {"short": (0, 0), "medium": (200, 450), "long": (1000, 4000)}


def example(seed, style="mixed", family="train", length="short"):
    """One example from a seed; deterministic."""
    g = Gen(seed, family)
    r = g.r
    domain = DOMAINS[seed % 4]
    visit = rand_date(r) if r.random() < 0.5 else None
    note, dict_s, conv = GEN[domain](g, visit)
    if style == "mixed":
        style = r.choice(["dictation", "conversation"])
    if length == "mixed":
        length = r.choice(["short", "medium"])
    rate = r.choice([0.0, 0.03, 0.08, 0.15])
    if style == "dictation":
        transcript = " ".join(disfluent(r, s, rate) for s in dict_s)
    else:
        pro, cl = r.choice(g.P["speakers"][domain])
        if g.train and r.random() < P_NAMED:
            pro, cl = named_labels(g, domain, note)
        exam_at = next((i for i, (_, t) in enumerate(conv) if t == g.exam_said), None)
        turns = list(conv)
        for _ in range(r.randint(0, 3)):  # a little small talk even in a short consultation
            at = r.randint(1, len(turns))
            turns.insert(at, TK.filler_turn(r, g.T, domain, "pro", "cl", exam=exam_at is not None and at > exam_at))
        lo, hi = LENGTHS[length]
        if hi:  # the fillers and false starts added below lengthen it by about 2.4 x rate
            turns = TK.pad(r, g.T, domain, turns, "pro", "cl", int(r.randint(lo, hi) / (1 + 2.4 * rate)))
        label = {"pro": pro, "cl": cl}
        facts_at = {id(t) for t in conv}
        lines = [(id(t) in facts_at, f"{label[t[0]]}: {disfluent(r, t[1], rate)}") for t in turns]
        transcript = "\n".join(x for _, x in lines)
        if g.train and length == "medium":  # within the 1,024-token training sequence: drop filler turns
            head = {"domain": domain, "note": note, **({"visit_date": iso(visit)} if visit else {})}
            while est_tokens(train_text(dict(head, transcript=transcript))) > MEDIUM_BUDGET and \
                    not all(f for f, _ in lines):
                lines.pop(max(i for i, (f, _) in enumerate(lines) if not f))
                transcript = "\n".join(x for _, x in lines)
    ex = {"domain": domain, "style": style, "family": family, "length": length,
          "words": len(transcript.split()), "transcript": transcript, "note": note}
    if visit:
        ex["visit_date"] = iso(visit)
    return ex


def est_tokens(text):
    """An upper estimate of the tokens of text under tokenizer.py's BPE (3,000 merges on this data): pre-split
    pieces plus one per two characters beyond six of a piece. Measured on 3,000 training texts: actual / estimate
    0.75-1.15, so a budget of 880 keeps a text under about 1,010 tokens (made-up words split into several)."""
    return sum(1 + max(0, len(p.strip()) - 6) / 2 for p in _PIECES.findall(text))


def split(name, n, style="mixed", length="short", offset=0):
    """n examples of a split; `offset` (< 5,000,000, train and validation only) picks another seed range of the
    same split, so that two training sets (pretraining, fine-tuning) do not share notes."""
    fam = SPLIT_FAMILY[name]
    if name == "test-long":
        style, length = "conversation", "long"
    if offset and not (name in ("train", "validation") and 0 <= offset and offset + n <= 5_000_000):
        raise ValueError("offset: train and validation only, offset + n <= 5,000,000")
    return [example(SPLIT_BASE[name] + offset + i, style, fam, length) for i in range(n)]


_SCHEMAS = {}


def schema(domain):
    if domain not in _SCHEMAS:
        with open(os.path.join(ROOT, "templates", domain + ".schema.json")) as f:
            _SCHEMAS[domain] = json.load(f)
    return _SCHEMAS[domain]


def note_json(note):
    return json.dumps(note, separators=(", ", ": "))


def user_text(ex):
    """The user turn exactly as apps/scribe/note.cpp (note_user_turn) builds it."""
    visit = f"\n\nVisit date: {ex['visit_date']}" if ex.get("visit_date") else ""
    return (schema(ex["domain"])["description"] + visit + "\n\nTranscript:\n" + ex["transcript"] +
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
    ap.add_argument("--n-heldout", type=int, default=0, help="held-out generator family (test-heldout.jsonl)")
    ap.add_argument("--n-long", type=int, default=0, help="held-out family, 1,000-4,000 words (test-long.jsonl)")
    ap.add_argument("--style", default="mixed", choices=["mixed", "dictation", "conversation"])
    ap.add_argument("--length", default="short", choices=["short", "medium", "mixed"])
    ap.add_argument("--offset", type=int, default=0, help="seed offset of train/validation (another data set)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for nm, n in [("train", a.n_train), ("validation", a.n_val), ("test", a.n_test), ("test-heldout", a.n_heldout),
                  ("test-long", a.n_long)]:
        if n == 0 and nm not in ("train", "validation", "test"):
            continue
        with open(os.path.join(a.out, nm + ".jsonl"), "w") as f:
            for ex in split(nm, n, a.style, a.length, a.offset if nm in ("train", "validation") else 0):
                f.write(json.dumps(ex) + "\n")


if __name__ == "__main__":
    main()
