"""datagen_lex.py — the entity lists of datagen.py, in two disjoint generator families: "train" (what training,
validation and the in-family test see) and "heldout" (names, drugs, symptoms, findings, diagnoses, matters,
incidents, holdings... reserved for the held-out test sets; training never sees one of them). test_train.py
checks that the two families share no entry and that no held-out entry occurs in training output.

Shared by both families (not entities but the words of the domain the model must know either way): months,
number words, frequencies, vital-sign names, HR categories, risk profiles.
"""

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
NUM_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
             "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
FREQS = ["once daily", "twice daily", "three times daily", "every 8 hours", "at night", "as needed",
         "four times daily", "every morning"]
RISKS = ["cautious", "balanced", "growth", "adventurous"]

TRAIN = {
    "first": ["James", "Maria", "Aisha", "Tom", "Priya", "Chen", "Olivia", "Liam", "Fatima", "Noah", "Grace", "Omar",
              "Sofia", "Ethan", "Hannah", "Ravi", "Zoe", "Daniel", "Amara", "Lucas", "Ingrid", "Mateo", "Yusuf",
              "Elena", "Kofi", "Mei", "Jack", "Leila", "Arjun", "Nina", "Samuel", "Chloe", "Ivan", "Rosa", "Tariq",
              "Emily"],
    "last": ["Smith", "Garcia", "Khan", "Brown", "Patel", "Wong", "Jones", "Murphy", "Ali", "Taylor", "Evans",
             "Nguyen", "Rossi", "Walker", "Okafor", "Clarke", "Hughes", "Silva", "Martin", "Young", "Novak",
             "Larsen", "Mensah", "Kowalski", "Dubois", "Fischer", "Haddad", "Reid", "Byrne", "Sato", "Costa",
             "Ahmed"],
    "symptoms": ["a dry cough", "a productive cough", "headaches", "lower back pain", "a sore throat",
                 "chest tightness", "heartburn", "low mood", "dizziness", "shortness of breath", "knee pain",
                 "a rash on the arm", "abdominal pain", "ear pain", "fatigue", "palpitations", "a blocked nose",
                 "painful urination"],
    "modifiers": ["worse at night", "worse in the morning", "worse on exertion", "eased by rest", "no fever",
                  "mild fever at home", "no weight loss", "poor sleep", "not eating well", "no vomiting",
                  "getting slowly worse", "comes and goes", "started after a cold", "no recent travel"],
    "findings": ["chest clear", "wheeze on both sides", "throat red with enlarged tonsils",
                 "abdomen soft and non tender", "tender over the lower spine", "ear drum red and bulging",
                 "no rash seen", "mild swelling of the knee", "crackles at the right base", "heart sounds normal",
                 "pupils equal and reactive"],
    "diagnoses": ["chest infection", "tension headache", "mechanical back pain", "tonsillitis",
                  "asthma exacerbation", "reflux", "depression", "viral illness", "otitis media",
                  "urinary tract infection", "osteoarthritis", "benign positional vertigo", "contact dermatitis",
                  "sinusitis", "anxiety", "gastritis"],
    "plans": ["chest x-ray", "blood tests", "urine sample", "rest and fluids", "physiotherapy referral",
              "stop smoking advice", "sleep hygiene advice", "return if symptoms worsen", "ECG today",
              "referral to ENT", "talking therapy referral", "ice and elevation", "steam inhalation"],
    "meds": [("amoxicillin", ["250 mg", "500 mg"]), ("ibuprofen", ["200 mg", "400 mg"]),
             ("metformin", ["500 mg", "850 mg"]), ("lisinopril", ["5 mg", "10 mg"]),
             ("atorvastatin", ["20 mg", "40 mg"]), ("omeprazole", ["20 mg", "40 mg"]),
             ("sertraline", ["50 mg", "100 mg"]), ("salbutamol", ["100 micrograms"]),
             ("paracetamol", ["500 mg", "1 g"]), ("nitrofurantoin", ["50 mg", "100 mg"]),
             ("prednisolone", ["5 mg", "30 mg"]), ("cetirizine", ["10 mg"])],
    "matters": ["a boundary dispute with a neighbour", "an unfair dismissal claim", "the renewal of a shop lease",
                "the probate of an estate", "a dispute over a building contract", "a personal injury claim",
                "a divorce settlement", "the purchase of a house", "a debt recovery claim", "a will"],
    "advice": ["the claim has reasonable prospects", "costs are likely to exceed the amount in dispute",
               "mediation should be tried first", "the limitation period ends soon", "the lease terms are standard",
               "the evidence is strong on liability", "a settlement offer would be sensible",
               "the contract allows termination with notice"],
    "instruct": ["proceed with the claim", "make a settlement offer", "wait for the other side to reply",
                 "prepare a draft will", "start the conveyancing", "not to take any action for now",
                 "negotiate a lower rent"],
    "steps": ["send a letter before action", "request the title deeds", "obtain the employment contract",
              "file the claim form", "draft a witness statement", "instruct a surveyor", "write to the landlord",
              "book a mediation session", "gather the bank statements", "call the other solicitor"],
    "roles": ["her husband", "his wife", "a trainee solicitor", "the client's daughter", "an interpreter",
              "the client's accountant", "a paralegal"],
    "incidents": [("conduct", "a shouting match between two colleagues"), ("safety", "a slip on a wet floor"),
                  ("safety", "a near miss with a forklift"), ("harassment", "repeated unwanted comments"),
                  ("attendance", "three days of unreported absence"), ("performance", "missed delivery deadlines"),
                  ("conduct", "an offensive message in the team chat"), ("other", "a lost laptop"),
                  ("safety", "a cut hand from a box cutter"), ("harassment", "an inappropriate email")],
    "locations": ["the warehouse", "the front office", "the staff canteen", "loading bay two", "the car park",
                  "the second floor meeting room", "the shop floor", "the kitchen", "the reception area"],
    "hr_actions": ["arranged a formal investigation meeting", "offered occupational health support",
                   "issued a written warning", "scheduled refresher training", "reviewed the CCTV footage",
                   "moved the employee to another shift", "reported it to the safety officer",
                   "spoke to both parties informally"],
    "goals": ["retirement planning", "saving for a house deposit", "school fees planning", "paying down debt",
              "building an emergency fund", "income in retirement", "passing wealth to the children"],
    "holdings": ["a cash ISA", "a workplace pension", "premium bonds", "a stocks and shares ISA",
                 "a buy to let flat", "a current account", "company shares", "a personal pension"],
    "recs": ["open a stocks and shares ISA", "increase pension contributions", "keep an emergency fund in cash",
             "consolidate the old pensions", "use the annual ISA allowance", "buy a global index fund",
             "repay the credit card first", "review the will", "take out life cover"],
}

HELDOUT = {
    "first": ["Beatrix", "Dmitri", "Saoirse", "Kwame", "Ottilie", "Rashid", "Yuki", "Fernanda", "Lorcan", "Anouk",
              "Bartosz", "Ifeoma", "Henrik", "Paloma", "Thandiwe", "Casimir"],
    "last": ["Abernethy", "Villanueva", "Oyelaran", "Lindqvist", "Marchetti", "Szabo", "Quinlan", "Takahashi",
             "Pemberton", "Adeyemi", "Vasquez", "Holloway", "Brennan", "Castellano"],
    "symptoms": ["a painful shoulder", "swollen ankles", "night sweats", "blurred vision", "itchy eyes",
                 "a persistent hoarse voice", "tingling in the fingers", "neck stiffness", "a burning tongue",
                 "calf cramps"],
    "modifiers": ["worse after meals", "wakes them at night", "better with paracetamol", "no chills",
                  "no loss of appetite", "started after gardening", "worse when lying flat", "no recent injury"],
    "findings": ["reduced range of movement in the shoulder", "pitting oedema to mid shin",
                 "conjunctiva mildly injected", "no lymph nodes palpable", "tenderness over the calf",
                 "normal power in both arms", "tongue looks normal"],
    "diagnoses": ["frozen shoulder", "peripheral oedema", "allergic conjunctivitis", "laryngitis",
                  "carpal tunnel syndrome", "cervical strain", "vitamin deficiency", "nocturnal cramps"],
    "plans": ["thyroid function tests", "compression stockings", "eye drops trial", "voice rest",
              "wrist splint at night", "stretching exercises", "dietary advice", "ultrasound scan"],
    "meds": [("naproxen", ["250 mg", "500 mg"]), ("furosemide", ["20 mg", "40 mg"]),
             ("loratadine", ["10 mg"]), ("amlodipine", ["5 mg", "10 mg"]), ("codeine", ["15 mg", "30 mg"]),
             ("doxycycline", ["100 mg"]), ("levothyroxine", ["25 micrograms", "50 micrograms"]),
             ("quinine", ["200 mg", "300 mg"])],
    "matters": ["a tenancy deposit dispute", "a trademark infringement", "a planning appeal",
                "a professional negligence claim", "a partnership dissolution", "an inheritance dispute"],
    "advice": ["the deposit was not protected in time", "an injunction is unlikely to be granted",
               "the appeal window is twenty eight days", "expert evidence will be needed",
               "the partnership agreement is silent on this"],
    "instruct": ["issue a formal complaint", "apply for an injunction", "seek an expert report",
                 "hold off until the valuation arrives"],
    "steps": ["obtain the tenancy agreement", "search the trademark register", "lodge the appeal form",
              "commission an expert report", "review the partnership deed", "write to the executors"],
    "roles": ["a translator", "the client's brother", "a legal executive", "the client's business partner"],
    "incidents": [("safety", "a fall from a stepladder"), ("conduct", "a heated argument at the tills"),
                  ("harassment", "unwelcome messages after work"), ("attendance", "repeated late arrivals"),
                  ("performance", "stock counts left unfinished"), ("other", "a damaged company van")],
    "locations": ["the stockroom", "the pharmacy counter", "the upstairs office", "the delivery yard",
                  "the staff entrance", "the break room"],
    "hr_actions": ["suspended the employee on full pay", "took written statements", "contacted the union rep",
                   "arranged mediation between them", "updated the risk assessment"],
    "goals": ["funding a career break", "buying a holiday home", "supporting elderly parents",
              "starting a business"],
    "holdings": ["an offshore bond", "a junior ISA", "a lifetime ISA", "a final salary pension",
                 "a fixed rate bond"],
    "recs": ["transfer the junior ISA", "draw down the pension gradually", "set up a lasting power of attorney",
             "hold more in bonds", "pay into the lifetime ISA"],
}

FAMILIES = {"train": TRAIN, "heldout": HELDOUT}


# Made-up names and drug names for the training family: so many that a model can only copy them from the
# transcript, never learn them by heart (the fixed lists above alone let a small model memorise them: the earlier
# bundled model wrote training-set names for unseen ones). Never equal to, or containing, a held-out entry.
_ONSETS = ["b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "ch", "dr",
           "gr", "kl", "pr", "sh", "st", "tr"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou"]
_CODAS = ["", "", "", "n", "r", "l", "s", "m", "x", "nd", "rt"]
_DRUG_ENDS = ["olol", "pril", "statin", "azole", "mycin", "sartan", "dronate", "oxacin", "tidine", "profen"]
_HELD_WORDS = {w.lower() for k in ("first", "last") for w in HELDOUT[k]} | {m for m, _ in HELDOUT["meds"]}


def _syllable(r):
    return r.choice(_ONSETS) + r.choice(_VOWELS) + r.choice(_CODAS)


def made_up_word(r, n_syl):
    while True:
        w = "".join(_syllable(r) for _ in range(n_syl))
        if 3 <= len(w) <= 12 and not any(h in w for h in _HELD_WORDS):
            return w


def made_up_name(r):
    return made_up_word(r, r.randint(1, 2)).capitalize() + " " + made_up_word(r, r.randint(2, 3)).capitalize()


def made_up_drug(r):
    """(name, doses) like the lists': a made-up stem with a drug-class ending, doses in mg."""
    while True:
        name = made_up_word(r, r.randint(1, 2)) + r.choice(_DRUG_ENDS)
        if not any(h in name for h in _HELD_WORDS):
            break
    base = r.choice([1, 2, 5, 10, 20, 25, 50, 100, 200])
    return name, sorted({f"{base} mg", f"{base * r.choice([2, 4])} mg"})
