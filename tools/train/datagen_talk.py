"""datagen_talk.py — what a real meeting has besides the facts of the note: small talk, digressions, history
that the template does not record, an examination narrated aloud, questions answered, in two disjoint
generator families ("train", "heldout": other topics, other wordings). None of these turns states a fact the
note records; some carry numbers, dates and drug or place names that are not the note's (the model must not
copy them). datagen.py mixes them into conversations; `pad` grows a conversation to a word count (the long
consultations of 1,000-4,000 words, for evaluation).
"""

TRAIN = {
    "topics": ["the weather", "the traffic this morning", "the parking", "the football at the weekend",
               "the new bus timetable", "my grandson's birthday", "the building work next door",
               "the queue at the post office", "my holiday last year", "the price of petrol"],
    "small": ["Lovely to see you, how was {topic}?", "Did you manage with {topic}?",
              "Oh, don't get me started on {topic}.", "I was just saying to my neighbour about {topic}.",
              "Sorry I'm a bit late, it was {topic}.", "Yes, {topic} was something else."],
    "numbers": ["The bus was {n} minutes late again.", "My neighbour is {n2} years old and still gardening.",
                "We waited {n} minutes at the lights.", "I paid {n} pounds for parking, can you believe it?"],
    "ack": ["Right.", "Okay.", "I see.", "Mm-hm.", "Go on.", "Sure.", "That makes sense.", "Yes."],
    "digress": ["Before I forget, my daughter says hello.", "Is it still okay to park round the back?",
                "Sorry, my phone keeps buzzing, let me switch it off.", "Do you want a glass of water?",
                "Can you say that again, I didn't quite catch it?", "Let me just write that down.",
                "Where was I? Oh yes.", "Hang on, let me find my glasses."],
    "exam": ["Just breathe in and out for me.", "Take a deep breath. And again.", "Look straight ahead for me.",
             "Any pain when I press here?", "Can you lie back for me?", "That's fine, you can sit up now.",
             "I'm going to put the cuff on your arm.", "Just a little clip on your finger."],
    "history_soap": ["I had my appendix out years ago.", "My father had a heart problem, he's fine now.",
                     "I don't smoke and I drink a little at weekends.", "I work in an office, mostly sitting.",
                     "No allergies that I know of."],
    "history_legal": ["We bought the place about ten years ago.", "I've never been to court before.",
                      "My cousin went through something similar.", "I did look online a bit first."],
    "history_hr": ["I've worked here about three years.", "I usually do the early shift.",
                   "We had a team meeting the week before.", "I get on with most people here."],
    "history_finance": ["I changed jobs last spring.", "My partner handles most of the bills.",
                        "We had some money from my aunt a while back.", "I've never really invested before."],
}

HELDOUT = {
    "topics": ["the cricket score", "the school run", "my allotment", "the roadworks on the high street",
               "the new cafe downstairs", "my cat's vet bill", "the train strike", "the village fete"],
    "small": ["How are things with {topic}?", "I heard about {topic}, what a palaver.",
              "Honestly {topic} has been the talk of the street.", "Can't complain, apart from {topic}."],
    "numbers": ["The train sat outside the station for {n} minutes.", "My allotment plot number is {n2}.",
                "The vet wanted {n} pounds just to look at her."],
    "ack": ["Got it.", "Fair enough.", "Uh-huh.", "Noted.", "Carry on."],
    "digress": ["Sorry, that's my son texting.", "Shall I close the window? It's a bit draughty.",
                "One second, I'll grab a pen.", "Could you repeat the last bit?"],
    "exam": ["Relax your arm for me.", "Follow my finger with your eyes.", "Tell me if this is sore.",
             "Stand up and walk to the door for me."],
    "history_soap": ["I broke my wrist as a teenager.", "Mum has an underactive thyroid."],
    "history_legal": ["My late husband dealt with all the paperwork."],
    "history_hr": ["I moved over from the other branch in the summer."],
    "history_finance": ["I was self employed for a decade."],
}

FAMILIES = {"train": TRAIN, "heldout": HELDOUT}


def filler_turn(r, T, domain, pro, cl, exam=False, avoid=()):
    """One turn (speaker, text) that states no fact of the note; a few tries to find one not in `avoid`."""
    for _ in range(6):
        who, text = _filler(r, T, domain, pro, cl, exam)
        if text not in avoid:
            break
    return who, text


def _filler(r, T, domain, pro, cl, exam):
    kind = r.choice(["small", "small", "numbers", "ack", "digress", "history"] + (["exam"] * 3 if exam else []))
    if kind == "small":
        return r.choice([pro, cl]), r.choice(T["small"]).format(topic=r.choice(T["topics"]))
    if kind == "numbers":
        return cl, r.choice(T["numbers"]).format(n=r.randint(5, 95), n2=r.randint(20, 99))
    if kind == "ack":
        return r.choice([pro, cl]), r.choice(T["ack"])
    if kind == "digress":
        return r.choice([pro, cl]), r.choice(T["digress"])
    if kind == "exam":
        return pro, r.choice(T["exam"])
    return cl, r.choice(T["history_" + domain])


def words(turns):
    return sum(len(t.split()) for _, t in turns)


def pad(r, T, domain, turns, pro, cl, target_words):
    """Inserts filler turns at random places (never inside the fact turns' order) until the conversation has
    at least target_words words."""
    out = list(turns)
    said = {t for _, t in out}
    n = words(out)
    while n < target_words:
        at = r.randint(1, len(out))
        turn = filler_turn(r, T, domain, pro, cl, avoid=said)
        said.add(turn[1])
        out.insert(at, turn)
        n += len(turn[1].split())
    return out
