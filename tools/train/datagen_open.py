"""datagen_open.py — open-vocabulary content for the training family: the free-text facts a note copies
(symptoms, findings, diagnoses, plans, legal matters, advice, steps, incidents, locations, actions, goals,
holdings, recommendations) built from parts, so many that a small model cannot learn them by heart and must copy
them from the transcript: recombinations (quality + complaint + side + body part, verb + document + party) and
made-up but pronounceable words (datagen_lex.made_up_word: "the Brailot clause", "Kleabraind syndrome",
"a drelmic rash"). Training family only: datagen.py never calls it for the held-out family.

Guarantees (test_train.py): no phrase holds a held-out entry of datagen_lex.HELDOUT (it is drawn again), nor a
held-out name or drug as a word; no phrase holds ", " or "; " (the note joins list items with them) and none
ends in punctuation.

  phrase(r, key) -> str            one value for the list key of datagen_lex ("symptoms", "plans", ...)
  incident(r) -> (category, what)  an HR incident with its category
"""
import re

import datagen_lex as LX

_HELD_PHRASES = sorted({x.lower() for k, v in LX.HELDOUT.items() if k not in ("first", "last", "meds")
                        for x in (e if isinstance(e, str) else e[1] for e in v)}, key=len, reverse=True)
_HELD_NAMES = {w.lower() for k in ("first", "last") for w in LX.HELDOUT[k]} | {m for m, _ in LX.HELDOUT["meds"]}
_HELD_RE = re.compile("|".join(re.escape(p) for p in _HELD_PHRASES))


def held(text):
    """True when text holds a held-out entry or a held-out name or drug as a word."""
    t = text.lower()
    return bool(_HELD_RE.search(t)) or any(w in _HELD_NAMES for w in re.findall(r"[a-z]+", t))


def an(w):
    return ("an " if w[:1].lower() in "aeiou" else "a ") + w


def mw(r, lo=2, hi=3):
    return LX.made_up_word(r, r.randint(lo, hi))


def Mw(r, lo=2, hi=3):
    return mw(r, lo, hi).capitalize()


C = lambda r, xs: r.choice(xs)  # noqa: E731

SIDES = ["left", "right"]
BODY = ["hip", "knee", "wrist", "elbow", "jaw", "heel", "thumb", "forearm", "thigh", "shin", "groin", "ribs",
        "collarbone", "temple", "scalp", "lower back", "upper back", "side", "flank", "armpit", "big toe",
        "little finger", "ear", "eyelid", "cheek", "chin", "ankle", "buttock", "chest wall", "hand", "foot",
        "knuckles", "stomach", "lip", "gums", "nose"]
QUALITY = ["dull", "sharp", "burning", "throbbing", "aching", "stabbing", "cramping", "gnawing", "shooting",
           "stinging", "pressing", "nagging", "constant", "intermittent", "mild", "severe"]
COMPLAINT = ["pain", "ache", "discomfort", "soreness", "stiffness", "numbness", "itching", "swelling",
             "tenderness", "twitching", "weakness", "pins and needles", "bruising", "redness"]
LESION = ["rash", "lump", "patch", "spot", "blister", "ulcer", "scab", "mole", "cyst", "wart", "bump"]
TEXTURE = ["raised", "scaly", "red", "flaky", "weeping", "crusted", "pale", "dark", "itchy", "painless",
           "tender", "hard", "soft", "shiny"]
GENERAL = ["tiredness", "night time coughing", "loss of appetite", "hiccups", "ringing in the ears",
           "a metallic taste", "poor concentration", "bad dreams", "sneezing fits", "hair loss",
           "cold hands", "restless legs", "hot flushes", "a croaky voice", "bloating", "constipation",
           "nosebleeds", "jaw clicking", "mouth ulcers", "thirst", "clumsiness", "a tremor", "sweaty palms"]
ONSET = ["after a long walk", "after lifting boxes", "since a fall", "after starting a new job", "after a flight",
         "since moving house", "after a bee sting", "after a chest cold", "after running", "after decorating",
         "on waking", "after eating", "when climbing stairs", "when bending", "at the end of the day",
         "in the cold", "after a hot bath", "when typing", "after coffee", "on standing up"]
SIGNS = ["tenderness", "swelling", "bruising", "redness", "warmth", "a small lump", "reduced movement",
         "a healing graze", "mild tenderness", "a raised rash", "no tenderness", "full movement", "crepitus",
         "normal sensation", "a clear fluid", "a soft murmur", "dry skin", "slight pallor"]
TESTS = ["blood count", "kidney function", "liver function", "iron studies", "vitamin D level", "glucose",
         "cholesterol", "urine culture", "stool sample", "skin scraping", "throat swab", "x-ray", "MRI scan",
         "CT scan", "bone scan", "hearing test", "eye test", "allergy test", "ECG", "spirometry", "biopsy"]
CLINIC = ["dermatology", "physiotherapy", "orthopaedics", "cardiology", "the pain clinic", "podiatry",
          "audiology", "neurology", "gastroenterology", "the falls clinic", "rheumatology", "the dietitian"]
ADVICE_CARE = ["warm compresses", "a soft diet", "gentle stretches", "regular painkillers", "a cold pack",
               "raising the leg", "a support bandage", "fewer screens at night", "more fluids", "a food diary",
               "a symptom diary", "moisturiser twice a day", "a week off running", "salt water gargles"]
DX_SUFFIX = ["itis", "osis", "algia", "opathy", "ectasia"]
DX_FORM = ["syndrome", "disease", "palsy", "neuritis", "tendinopathy", "strain", "sprain", "dermatitis",
           "bursitis", "fasciitis", "infection", "reaction", "cyst"]
DX_ADJ = ["acute", "chronic", "mild", "early", "recurrent", "viral", "bacterial", "post viral", "seasonal",
          "stress related", "exercise induced", "allergic"]

ORG = ["Ltd", "Holdings", "Partners", "Group", "Properties", "Builders", "Motors", "Logistics", "Foods",
       "Council", "Trust", "Housing", "Estates", "Lettings"]
STREET = ["Road", "Street", "Lane", "Close", "Avenue", "Drive", "Way", "Court", "Gardens", "Terrace", "Row"]
THING = ["a fence", "a driveway", "a shared wall", "a garden shed", "an extension", "a hedge", "the parking spaces",
         "a loft conversion", "the drains", "a right of way", "the service charge", "a car sale", "a dog bite",
         "a wedding venue deposit", "a broken boiler", "unpaid invoices", "a faulty kitchen", "a website contract",
         "a franchise agreement", "a loan to a friend", "a noisy bar", "a damaged van", "a cancelled holiday"]
LEGAL_KIND = ["a dispute with", "a claim against", "a complaint about", "a contract with", "a debt owed by",
              "a lease from", "a licence from", "an appeal against", "a settlement with", "a guarantee for"]
DOC = ["the lease", "the contract", "the invoices", "the emails", "the photographs", "the receipts",
       "the survey", "the planning consent", "the deeds", "the statements", "the insurance policy",
       "the tenancy file", "the will", "the loan agreement", "the payslips", "the text messages", "the floor plan",
       "the quotes", "the minutes", "the warranty"]
VERB_DOC = ["obtain", "check", "review", "copy", "scan", "chase", "request", "summarise", "list", "sign",
            "file", "send", "collect", "read"]
PARTY = ["the landlord", "the builder", "the insurer", "the council", "the agent", "the other side", "the bank",
         "the court", "the employer", "the seller", "the buyer", "the tenant", "the lender", "the garage"]
ADJ_ADV = ["weak", "strong", "arguable", "unclear", "enforceable", "out of date", "binding", "void",
           "reasonable", "excessive", "missing", "late", "valid", "in breach"]

EVENT = {"safety": ["a burn from {x}", "a trip over {x}", "a knock from {x}", "a trapped finger in {x}",
                    "a strained back lifting {x}", "a spill of {x}", "a fall near {x}", "a shock from {x}"],
         "conduct": ["a row over {x}", "a rude remark about {x}", "a threat made about {x}",
                     "a refusal to hand over {x}", "a complaint from a customer about {x}",
                     "horseplay with {x}"],
         "harassment": ["jokes about {y}", "comments about {y}", "messages about {y}", "staring and remarks about {y}",
                        "a nickname about {y}"],
         "attendance": ["{n} missed shifts", "{n} late starts this month", "an absence without leave for {n} days",
                        "{n} early finishes without notice"],
         "performance": ["{n} orders sent to the wrong address", "a report handed in {n} days late",
                         "{n} complaints about slow service", "errors in {n} invoices", "a till short by {n} pounds"],
         "other": ["a missing set of keys to {x}", "damage to {x}", "a stolen phone from {x}", "a flood in {x}"]}
OBJECT = ["a kettle", "a pallet", "a trolley", "a cable", "a cupboard door", "a ladder", "a cash drawer",
          "a roll cage", "a hot tray", "a printer", "a fridge", "a stack of crates", "a loose tile", "the lift door",
          "a bin", "a fire door", "the coffee machine", "a delivery cage", "a toolbox", "a mop bucket"]
ABOUT = ["her accent", "his age", "their religion", "her clothes", "his weight", "her pregnancy", "his hair",
         "their family", "her name", "his disability"]
PLACE = ["room", "corridor", "yard", "store", "office", "depot", "lab", "workshop", "annex", "studio", "kiosk",
         "garage", "print room", "post room", "kitchenette", "server room", "locker room"]
PLACE_ADJ = ["north", "south", "east", "west", "main", "back", "old", "new", "ground floor", "top floor",
             "third floor", "basement", "rear", "side"]
HR_VERB = ["held a meeting with", "wrote to", "phoned", "sent a reminder to", "arranged training for",
           "changed the rota for", "referred the matter to", "met separately with", "took a statement from",
           "agreed a support plan with", "logged a report with", "set review dates with"]
HR_WHO = ["the employee", "both staff members", "the team leader", "the night manager", "the site manager",
          "the whole team", "the facilities team", "the health and safety lead", "the area manager"]

PRODUCT = ["ISA", "pension", "bond", "fund", "savings account", "annuity", "trust", "portfolio", "tracker fund",
           "income fund", "share plan", "index fund"]
FIN_ADJ = ["global", "ethical", "balanced", "income", "growth", "fixed term", "easy access", "sterling",
           "property", "tracker", "low cost", "regular saver"]
GOAL_VERB = ["saving for", "paying for", "planning for", "funding", "preparing for", "putting money aside for"]
GOAL_OBJ = ["a wedding", "a new car", "university costs", "a bigger house", "early retirement", "a sabbatical",
            "the mortgage", "a family trip", "a kitchen refit", "a new roof", "the children's future",
            "long term care", "a gap year", "a boat", "a garden office"]
REC_VERB = ["move", "switch", "top up", "reduce", "cash in", "rebalance", "merge", "split", "pause", "increase",
            "transfer", "sell"]


def _symptom(r):
    k = r.random()
    if k < 0.35:
        return f"{C(r, QUALITY)} {C(r, COMPLAINT)} in the {C(r, SIDES) + ' ' if r.random() < 0.5 else ''}{C(r, BODY)}"
    if k < 0.55:
        return f"{an(C(r, TEXTURE))} {C(r, LESION)} on the {C(r, BODY)}"
    if k < 0.8:
        return C(r, GENERAL)
    return f"{an(mw(r, 1, 2))} {C(r, ['rash', 'cough', 'itch', 'twinge', 'ache', 'lump'])}"


def _diagnosis(r):
    k = r.random()
    if k < 0.3:
        return f"{Mw(r)} {C(r, DX_FORM)}"
    if k < 0.55:
        return mw(r, 2, 2) + C(r, DX_SUFFIX)
    if k < 0.8:
        return f"{C(r, DX_ADJ)} {C(r, DX_FORM)}"
    return f"{C(r, DX_ADJ)} {mw(r, 2, 2)}{C(r, DX_SUFFIX)}"


def _plan(r):
    k = r.random()
    if k < 0.3:
        return f"{C(r, TESTS)} and {C(r, TESTS)}" if r.random() < 0.3 else f"{C(r, ['a', 'a repeat', 'an urgent'])} {C(r, TESTS)}"
    if k < 0.5:
        return f"referral to {C(r, CLINIC)}"
    if k < 0.7:
        return C(r, ADVICE_CARE)
    return f"{an(Mw(r))} {C(r, ['test', 'score', 'assessment', 'screen', 'panel'])}"


def _finding(r):
    k = r.random()
    if k < 0.5:
        return f"{C(r, SIGNS)} over the {C(r, SIDES) + ' ' if r.random() < 0.4 else ''}{C(r, BODY)}"
    if k < 0.75:
        return f"{Mw(r)} sign {C(r, ['positive', 'negative'])}"
    return f"{C(r, BODY)} {C(r, ['looks normal', 'slightly swollen', 'warm to touch', 'not tender', 'bruised'])}"


def _matter(r):
    k = r.random()
    if k < 0.4:
        return f"{C(r, LEGAL_KIND)} {Mw(r)} {C(r, ORG)}"
    if k < 0.7:
        return f"a dispute over {C(r, THING)} at {r.randint(2, 240)} {Mw(r)} {C(r, STREET)}"
    return f"{C(r, ['a claim about', 'a dispute about', 'advice on', 'a question about'])} {C(r, THING)}"


def _advice(r):
    k = r.random()
    if k < 0.4:
        return f"{C(r, DOC)} {C(r, ['is', 'looks', 'seems'])} {C(r, ADJ_ADV)}"
    if k < 0.7:
        return f"the {Mw(r)} clause {C(r, ['does not apply', 'applies here', 'needs checking', 'is unusual'])}"
    return f"{C(r, PARTY)} {C(r, ['should be told first', 'owes the money', 'is likely to settle', 'has no defence', 'must reply within 14 days'])}"


def _step(r):
    k = r.random()
    if k < 0.6:
        return f"{C(r, VERB_DOC)} {C(r, DOC)}"
    if k < 0.85:
        return f"write to {C(r, PARTY)}"
    return f"call {Mw(r)} {C(r, ORG)}"


def _instruct(r):
    return C(r, [f"write to {C(r, PARTY)}", f"{C(r, VERB_DOC)} {C(r, DOC)} first", f"offer to settle with {C(r, PARTY)}",
                 f"defend the claim from {Mw(r)} {C(r, ORG)}", "wait a month before acting", "go ahead with the sale",
                 f"drop the complaint against {Mw(r)} {C(r, ORG)}"])


def incident(r):
    while True:
        cat = C(r, list(EVENT))
        what = C(r, EVENT[cat]).format(x=C(r, OBJECT), y=C(r, ABOUT), n=r.randint(2, 9))
        if not held(what):
            return cat, what


def _location(r):
    k = r.random()
    if k < 0.4:
        return f"the {C(r, PLACE_ADJ)} {C(r, PLACE)}"
    if k < 0.75:
        return f"the {Mw(r)} {C(r, PLACE)}"
    return f"{C(r, PLACE)} {r.randint(2, 40)}"


def _hr_action(r):
    return f"{C(r, HR_VERB)} {C(r, HR_WHO)}"


def _goal(r):
    return f"{C(r, GOAL_VERB)} {C(r, GOAL_OBJ)}"


def _holding(r):
    k = r.random()
    if k < 0.4:
        return f"{an(C(r, FIN_ADJ))} {C(r, PRODUCT)}"
    if k < 0.7:
        return f"{an(Mw(r))} {C(r, PRODUCT)}"
    return f"shares in {Mw(r)} {C(r, ['plc', 'Group', 'Holdings'])}"


def _rec(r):
    k = r.random()
    if k < 0.5:
        return f"{C(r, REC_VERB)} the {C(r, FIN_ADJ)} {C(r, PRODUCT)}"
    return f"{C(r, REC_VERB)} the {Mw(r)} {C(r, PRODUCT)}"


def _modifier(r):
    return C(r, ONSET) if r.random() < 0.6 else f"worse {C(r, ONSET)}"


GEN = {"symptoms": _symptom, "modifiers": _modifier, "findings": _finding, "diagnoses": _diagnosis,
       "plans": _plan, "matters": _matter, "advice": _advice, "steps": _step, "instruct": _instruct,
       "locations": _location, "hr_actions": _hr_action, "goals": _goal, "holdings": _holding, "recs": _rec}


def phrase(r, key):
    while True:
        p = GEN[key](r)
        if not held(p):
            return p
