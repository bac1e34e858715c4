"""datagen_compose.py — compositional phrasings of the training family: a fact's sentence is built from parts
(a discourse opener, one of many cores per fact with the value first, last or embedded, hedges, an optional tail
sentence) instead of one of 2-4 fixed templates, and a fact's turn may become an exchange (the other speaker
asks for it first, echoes it back and is confirmed, says it and the professional confirms it, or the fact is
split over two turns with a question between). Each fact then has hundreds to thousands of surface forms, so a
small model has to locate and copy the value rather than learn the sentence around it.

Training family only (datagen.Gen calls it when family == "train"); the held-out family keeps its fixed
templates (datagen_phrases.HELDOUT), and nothing here may repeat them: test_train.py checks that no composed
template equals a held-out one and that none holds a held-out template's literal part of 12+ characters (any case).

Every output is a str.format template over the slots datagen passes ({dx}, {name}, {dose}, ...): each slot the
fact has appears at least once, so the transcript always states the fact (datagen's self-check holds).

  template(r, key) -> str | None          a composed sentence template for a datagen_phrases key, or None
  exchange(r, key, who) -> [(who, tmpl)]  | None   a multi-turn exchange for the fact, or None
"""

OTHER = {"pro": "cl", "cl": "pro"}

OPEN = {"pro": ["So", "Okay,", "Right,", "Alright,", "Now,", "Good,", "Okay then,", "So then,", "Anyway,",
                "Now then,", "Right then,", "Okay, so", "Good, so", "Let me see,", "Thinking about it,",
                "From what you've said,", "In short,", "To sum up,", "Just so you know,", "For your notes,",
                "Bottom line,", "And", "Also,", "One more thing,", "So overall,", "Okay, and"],
        "cl": ["So", "Okay,", "Well,", "Oh,", "Yes,", "Right,", "Um, so", "Okay, well,", "I suppose", "Like I said,",
               "Thing is,", "To be fair,", "Anyway,", "And", "Also,", "Ah,", "Hmm,", "Yes, so"]}
D_OPEN = ["Okay.", "Next.", "Then", "Also", "And", "Right,", "Moving on,", "Further,", "In addition,", "Next,",
          "Okay,", "New paragraph.", "Full stop.", "Then,"]
TAIL = {"pro": ["Does that make sense?", "Is that okay?", "Any questions about that?", "Okay?", "All right?",
                "Happy with that?", "Does that sound reasonable?", "I'll write that down.", "Let me note that.",
                "That's the main thing.", "We can talk more about it later."],
        "cl": ["That's about it.", "If that makes sense.", "Yeah.", "That's it really.", "I think.",
               "I hope that helps.", "That's all I can think of.", "It's been a worry."]}

CORES = {
    # SOAP, conversation
    "c_ask": ["What can I do for you?", "What's brought you in?", "Tell me what's going on.", "How have you been?",
              "What's the trouble today?", "What did you want to talk about?", "What's been bothering you?",
              "How are you feeling?", "How can I help you?", "What's up?", "So, what's the matter?"],
    "c_subj": ["I've had {sym} for {dur}, {mods}", "it's {sym}, {dur} now, {mods}", "{sym}, for about {dur}. {Mods}",
               "for {dur} I've had {sym}, {mods}", "I've been getting {sym} for {dur}. {Mods}",
               "there's been {sym} for {dur}, {mods}", "I keep getting {sym}, it's been {dur}. {Mods}",
               "I've got {sym}. It's been {dur}, {mods}", "mainly {sym}, for {dur} or so, {mods}",
               "I've been having {sym} for {dur}, and it's {mods}", "it's been {dur} of {sym}, {mods}",
               "the problem is {sym}, for {dur}. {Mods}"],
    "c_exam": ["Let me have a look at you.", "I'd like to examine you, is that okay?", "Can I check a few things?",
               "I'll just check you over.", "Let's examine you now.", "Let me take a few readings.",
               "I'll examine you quickly.", "Can I examine you?"],
    "c_vital": ["your {vname} is {value}", "{vname} {value}", "{vname} is {value}", "I've got your {vname} at {value}",
                "{vname} came out at {value}", "{vname} {value}, that's fine", "the {vname} is {value}",
                "and {vname} {value}", "{value} for the {vname}", "your {vname} comes up as {value}",
                "{vname} at {value}", "I make your {vname} {value}", "{value}, that's your {vname}"],
    "c_find": ["{finding}", "on examination, {finding}", "examining you now, {finding}", "{finding} on examination",
               "I'd note {finding}", "okay, {finding} here", "I can see {finding}", "and {finding}",
               "{finding}, from what I can see", "when I check, {finding}"],
    "c_dx": ["I think this is {dx}", "it looks like {dx}", "this is most likely {dx}", "it's {dx}",
             "what you've got is {dx}", "I'd call this {dx}", "this fits with {dx}", "it sounds like {dx}",
             "we're looking at {dx}", "{dx} is the most likely cause", "{dx}, I think", "the diagnosis is {dx}",
             "I'm fairly confident it's {dx}", "all of this points to {dx}", "I'd put it down to {dx}",
             "I suspect {dx}", "it's probably {dx}", "I'm pretty sure this is {dx}"],
    "c_plan": ["we'll do {plan}", "I'd like {plan}", "the plan is {plan}", "let's go with {plan}", "next, {plan}",
               "I'll organise {plan}", "we should do {plan}", "{plan} is the next step", "for now, {plan}",
               "I'm going to request {plan}", "I'd recommend {plan}", "we'll start with {plan}",
               "what we'll do is {plan}", "I'd like you to have {plan}", "{plan}, to begin with"],
    "c_med": ["I'll start you on {name} {dose} {freq}", "take {name} {dose} {freq}", "I'm prescribing {name} {dose}, {freq}",
              "I'll give you {name} {dose} {freq}", "{name} {dose}, {freq}", "let's put you on {name} {dose} {freq}",
              "you should take {name} {dose} {freq}", "I'll prescribe {name}, {dose} {freq}",
              "take {dose} of {name} {freq}", "{freq}, take {name} {dose}", "the prescription is {name} {dose} {freq}",
              "I'm adding {name} {dose} {freq}", "I want you on {name}, {dose}, {freq}"],
    "c_med_nodose": ["I'll start you on some {name}, {freq}", "take {name} {freq}, the usual dose", "{name} {freq}",
                     "let's add {name}, {freq}", "you can take {name} {freq}", "I'll prescribe {name}, {freq}",
                     "{freq}, some {name}"],
    "c_med_bare": ["I'll give you a prescription for {name}", "we'll add {name}", "I'll prescribe {name}",
                   "you can have some {name}", "let's get you some {name}", "I'm adding {name}",
                   "there's a prescription for {name}"],
    "c_fu_abs": ["I'll see you again on {when}", "come back on {when}", "let's book you in for {when}",
                 "I want to see you on {when}", "we'll review on {when}", "come and see me on {when}",
                 "{when}, come back and see me", "follow up on {when}", "I'll review you on {when}",
                 "the review is on {when}"],
    "c_fu_rel": ["I'll see you again {rel}", "come back {rel}", "let's review {rel}", "see me {rel}",
                 "I'd like to see you {rel}", "check in with me {rel}", "{rel}, come back and see me",
                 "we'll follow up {rel}", "come and see me again {rel}", "we'll review things {rel}"],
    "c_close": ["Thank you.", "Thanks, doctor.", "Okay, thanks.", "Great, thank you.", "Thanks very much.",
                "That's helpful, thanks.", "Brilliant, thanks.", "Okay, I'll do that.", "Thanks for your help."],
    # SOAP, dictation
    "d_open": ["consultation with {pt}", "seeing {pt} today", "next patient is {pt}", "this is {pt}",
               "patient is {pt}", "note for {pt}", "clinic note, {pt}", "{pt}, seen today",
               "consultation note for {pt}", "reviewing {pt}"],
    "d_subj": ["presents with {subj}", "complains of {subj}", "history of {subj}", "reports {subj}",
               "came in with {subj}", "{subj} is the presenting complaint", "complaining of {subj}",
               "symptoms are {subj}", "has {subj}", "they report {subj}", "attends with {subj}"],
    "d_obj": ["on examination {obj}", "examination shows {obj}", "exam, {obj}", "examination {obj}", "on exam {obj}",
              "clinically {obj}", "on examining, {obj}", "examined, {obj}"],
    "d_dx": ["impression is {dx}", "most likely {dx}", "assessment {dx}", "working diagnosis {dx}", "likely {dx}",
             "diagnosis {dx}", "impression {dx}", "in keeping with {dx}", "I think {dx}", "consistent with {dx}",
             "{dx} most likely", "{dx} is the likely diagnosis"],
    "d_plan": ["plan, {plan}", "plan is {plan}", "for {plan}", "plan {plan}", "we'll do {plan}", "to have {plan}",
               "requesting {plan}", "ordered {plan}", "the plan is {plan}", "{plan} planned"],
    "d_med": ["start {name} {dose} {freq}", "prescribed {name} {dose} {freq}", "{name} {dose}, {freq}",
              "started on {name} {dose} {freq}", "new prescription {name} {dose} {freq}",
              "{name} {dose} {freq} prescribed", "add {name} {dose} {freq}", "prescription, {name} {dose} {freq}"],
    "d_fu_abs": ["review on {when}", "follow up on {when}", "see again on {when}", "return on {when}",
                 "to be seen again on {when}", "back on {when}", "follow up booked for {when}", "review date {when}"],
    "d_fu_rel": ["review {rel}", "follow up {rel}", "see again {rel}", "return {rel}", "to be seen again {rel}",
                 "back {rel}", "review again {rel}"],
    # legal
    "c_l_open": ["this is a meeting on {when} with {present}", "it's {when}, and here we have {present}",
                 "for the record, today is {when} and we have {present}", "we're meeting on {when}, with {present}",
                 "today's date is {when}, and present are {present}", "it's {when} and with me are {present}"],
    "c_l_open_nodate": ["thanks for coming in, present today are {present}", "so we have {present} here",
                        "with us today are {present}", "present are {present}", "we have {present} in the meeting",
                        "joining us are {present}"],
    "c_l_matter": ["I've come about {matter}", "it's about {matter}", "I need help with {matter}",
                   "I'm here about {matter}", "we want advice on {matter}", "it concerns {matter}",
                   "the problem is {matter}", "{matter}, that's why I'm here", "I wanted to talk about {matter}",
                   "it's {matter}, really", "I'm worried about {matter}"],
    "c_l_advice": ["my view is that {adv}", "I'd say {adv}", "in my opinion {adv}", "my advice is that {adv}",
                   "I think {adv}", "the position is that {adv}", "the short answer is {adv}", "as I see it, {adv}",
                   "you should know {adv}", "I have to tell you {adv}", "I'm afraid {adv}", "the law says {adv}"],
    "c_l_instr": ["then I'd like you to {ins}", "okay, please {ins}", "I want you to {ins}", "can you {ins}",
                  "I'd rather you {ins}", "my instruction is to {ins}", "in that case I want you to {ins}",
                  "right, please {ins}"],
    "c_l_steps": ["fine, we will {steps}", "right, next we'll {steps}", "we'll {steps}", "I'll {steps}",
                  "the next thing is to {steps}", "so, we will {steps}", "from here we'll {steps}",
                  "I'm going to {steps}", "after today we'll {steps}"],
    "c_l_time": ["for the record we spent {mins} minutes", "that was {mins} minutes", "we've spent {mins} minutes today",
                 "I'll note {mins} minutes", "time today, {mins} minutes", "we've had {mins} minutes",
                 "{mins} minutes for this meeting", "I'll record {mins} minutes"],
    "d_l_open": ["attendance note of a meeting on {when}", "meeting on {when}", "attendance note, {when}",
                 "note of a meeting on {when}", "we met on {when}", "meeting date {when}"],
    "d_l_open_nodate": ["Attendance note.", "Note of a meeting.", "Attendance note for the file.", "Meeting note."],
    "d_l_present": ["present were {present}", "attending, {present}", "present {present}", "attendees {present}",
                    "those attending were {present}"],
    "d_l_matter": ["{client} came to see us about {matter}", "the client {client} attended about {matter}",
                   "client is {client}, the matter is {matter}", "{client} wants advice on {matter}",
                   "we saw {client} about {matter}", "{client} attended about {matter}"],
    "d_l_advice": ["I advised that {adv}", "my advice was that {adv}", "advised {adv}", "we advised that {adv}",
                   "I explained that {adv}", "I told the client {adv}"],
    "d_l_instr": ["the client instructed us to {ins}", "instructions, {ins}", "instructed to {ins}",
                  "client's instructions are to {ins}", "we have instructions to {ins}", "the client asked us to {ins}"],
    "d_l_steps": ["next steps, {steps}", "we will {steps}", "we are to {steps}", "next, we'll {steps}",
                  "follow up actions, {steps}"],
    "d_l_time": ["time spent {mins} minutes", "the meeting took {mins} minutes", "{mins} minutes spent",
                 "time recorded {mins} minutes", "total time {mins} minutes", "meeting length {mins} minutes"],
    # HR
    "c_h_open": ["you're reporting something about {emp}?", "this is about {emp}, is that right?",
                 "you wanted to talk about {emp}?", "I gather this concerns {emp}?", "so this is about {emp}?",
                 "you've come about {emp}, yes?"],
    "c_h_rep": ["yes, I'm {rep}", "that's right, I'm {rep}", "my name is {rep}", "I'm {rep}, yes",
                "it's {rep} reporting", "{rep}, that's me"],
    "c_h_event": ["on {when} there was {what} in {loc}", "it was {when}, there was {what} in {loc}",
                  "there was {what} in {loc} on {when}", "{when}, in {loc}, there was {what}",
                  "in {loc} on {when} we had {what}", "we had {what} in {loc}, on {when}",
                  "it happened on {when}, {what} in {loc}"],
    "c_h_event_nodate": ["there was {what} in {loc}", "we had {what} in {loc}", "in {loc} there was {what}",
                         "it was {what}, in {loc}", "{what}, in {loc}", "the incident was {what} in {loc}"],
    "c_h_ask_wit": ["Did anyone else see it?", "Were there any witnesses?", "Did anybody else see it happen?",
                    "Was anyone with you?", "Did anyone witness it?"],
    "c_h_wit": ["yes, {wit} saw it", "{wit} saw it too", "{wit} was there and saw it", "yes, {wit}",
                "{wit}, they were both there" , "I think {wit} saw it"],
    "c_h_nowit": ["No, nobody else was there.", "No, I was alone.", "No one, no.", "Nobody saw it.",
                  "No witnesses, no."],
    "c_h_act": ["thank you, we {act}", "okay, so far we {act}", "so far, we {act}", "for now we {act}",
                "so you know, we {act}", "as a first step we {act}", "we {act} straight away"],
    "d_h_open": ["incident report about {emp}, reported by {rep}", "report concerning {emp}, raised by {rep}",
                 "{rep} reported an incident involving {emp}", "incident involving {emp}, reported by {rep}",
                 "report about {emp} from {rep}"],
    "d_h_open_norep": ["incident report about {emp}", "report concerning {emp}", "incident involving {emp}",
                       "report about {emp}"],
    "d_h_event": ["on {when} there was {what} in {loc}", "there was {what} in {loc} on {when}",
                  "{when}, {what} in {loc}", "in {loc} on {when}, {what}"],
    "d_h_event_nodate": ["there was {what} in {loc}", "we had {what} in {loc}", "in {loc}, {what}"],
    "d_h_wit": ["witnesses were {wit}", "it was seen by {wit}", "witnessed by {wit}", "{wit} saw it"],
    "d_h_nowit": ["There were no witnesses.", "Nobody else saw it.", "No witnesses.", "It was not witnessed."],
    "d_h_act": ["we {act}", "action taken, we {act}", "actions so far, we {act}"],
    "d_h_fu_yes": ["A follow up is required.", "We need to follow this up.", "This needs a follow up.",
                   "We'll follow this up.", "There will be a follow up."],
    "d_h_fu_no": ["No follow up is required.", "Nothing further is needed.", "No need to follow this up.",
                  "There's no follow up needed."],
    # finance
    "c_f_open": ["thanks for coming in, {client}, today is {when}", "hello {client}, it's {when} today",
                 "good to see you {client}, today's date is {when}", "welcome {client}, for my notes it's {when}",
                 "{client}, thanks for coming, it's {when}"],
    "c_f_open_nodate": ["thanks for coming in, {client}", "hello {client}, good to see you", "welcome, {client}",
                        "nice to see you again, {client}", "come in, {client}"],
    "c_f_goals": ["I want to talk about {goals}", "I'm thinking about {goals}", "we're interested in {goals}",
                  "my priority is {goals}", "I'd like help with {goals}", "{goals}, mainly", "the main thing is {goals}",
                  "I've been thinking about {goals}"],
    "c_f_ask_hold": ["What do you have at the moment?", "What savings do you have?", "What have you got saved?",
                     "Tell me about your savings.", "What investments do you hold?", "Where's your money at the moment?"],
    "c_f_hold": ["I have {hold}", "there's {hold}", "I've got {hold}", "at the moment, {hold}",
                 "{hold}, that's everything", "we have {hold}", "there's {hold}, I think that's all"],
    "c_f_risk": ["your attitude to risk is {risk}", "from the questionnaire you're {risk}", "I'd describe you as {risk}",
                 "your risk profile is {risk}", "you're a {risk} investor", "the risk questionnaire says {risk}"],
    "c_f_norisk": ["We haven't discussed your attitude to risk.", "We'll leave attitude to risk for now.",
                   "Let's come back to attitude to risk later.", "Attitude to risk can wait."],
    "c_f_recs": ["my recommendation is to {recs}", "I'd suggest you {recs}", "I'd recommend that you {recs}",
                 "you should {recs}", "the best option is to {recs}", "I think you should {recs}",
                 "what makes sense is to {recs}"],
    "c_f_fees_yes": ["Our fees were explained and agreed.", "You've seen our fees and you're happy with them.",
                     "We've been through our fees and you agreed them.", "You're happy with the fees we explained."],
    "c_f_fees_no": ["Fees were not covered today.", "We haven't gone through our fees yet.",
                    "We didn't talk about fees today.", "We'll talk fees next time."],
    "c_f_rev_abs": ["let's review this on {when}", "we'll meet again on {when}", "I'll see you again on {when}",
                    "we'll catch up on {when}", "next review on {when}", "let's book a review for {when}"],
    "c_f_rev_rel": ["let's review this {rel}", "we'll meet again {rel}", "I'll see you again {rel}",
                    "we'll catch up {rel}", "let's book a review {rel}"],
    "d_f_open": ["advice meeting with {client} on {when}", "meeting with {client}, {when}", "met {client} on {when}",
                 "{client}, seen on {when}", "financial review for {client}, {when}"],
    "d_f_open_nodate": ["advice meeting with {client}", "meeting with {client}", "met {client} today",
                        "financial review for {client}"],
    "d_f_goals": ["objectives are {goals}", "the client wants {goals}", "goals, {goals}", "they want {goals}",
                  "their objectives are {goals}"],
    "d_f_risk": ["their attitude to risk is {risk}", "risk profile {risk}", "attitude to risk {risk}",
                 "assessed as {risk}", "they are {risk} investors"],
    "d_f_norisk": ["We did not discuss attitude to risk.", "Attitude to risk was not discussed.",
                   "Attitude to risk not yet discussed."],
    "d_f_hold": ["they currently hold {hold}", "current holdings, {hold}", "holdings are {hold}", "they have {hold}"],
    "d_f_recs": ["I recommended to {recs}", "my recommendations, {recs}", "recommended, {recs}",
                 "I suggested they {recs}"],
    "d_f_fees_yes": ["Our fees were explained and agreed.", "Fees were disclosed.", "Fees explained and agreed."],
    "d_f_fees_no": ["Fees were not covered today.", "We did not disclose our fees yet.", "Fees not yet discussed."],
    "d_f_rev_abs": ["next review on {when}", "review on {when}", "we meet again on {when}", "review booked for {when}"],
    "d_f_rev_rel": ["next review {rel}", "we'll review {rel}", "review again {rel}", "we meet again {rel}"],
}

# The question the other speaker asks before the fact is said.
ASK = {"c_subj": ["What's the problem?", "What symptoms have you had?", "Tell me about the symptoms.",
                  "What's been happening?"],
       "c_dx": ["So what do you think it is?", "Do you know what it is?", "What's causing it?"],
       "c_plan": ["What happens now?", "So what's next?", "What do we do about it?"],
       "c_med": ["Do I need anything for it?", "Is there something I can take?", "Will I need medication?"],
       "c_fu_abs": ["When should I come back?", "Do I need to come back?"],
       "c_fu_rel": ["When should I come back?", "Do I need to come back?"],
       "c_l_matter": ["What can I help you with?", "What brings you here?", "How can we help?"],
       "c_l_advice": ["What do you think?", "Where do I stand?", "What's your view?"],
       "c_l_steps": ["What happens next?", "What will you do now?"],
       "c_l_time": ["How long was that?"],
       "c_h_rep": ["And who are you?", "Can I take your name?", "And you are?"],
       "c_h_event": ["What was it?", "Tell me about it.", "Can you describe it?"],
       "c_h_event_nodate": ["What was it?", "Tell me about it."],
       "c_h_act": ["What's been done so far?", "Has anything been done about it?"],
       "c_f_goals": ["What would you like to achieve?", "What are your goals?", "What's on your mind?"],
       "c_f_risk": ["How would you describe me on risk?", "Where do I sit on risk?"],
       "c_f_recs": ["What would you suggest?", "What should I do?"],
       "c_f_rev_abs": ["When shall we meet again?"], "c_f_rev_rel": ["When shall we meet again?"]}
# The client says the professional's fact, the professional confirms it (slot: the fact's first slot).
PROPOSE = {"c_dx": ["Could it be {dx}?", "Is it {dx}?", "I wondered if it's {dx}.", "My friend said it might be {dx}."],
           "c_plan": ["Should I have {plan}?", "Do I need {plan}?"],
           "c_l_steps": ["So you'll {steps}?", "Will you {steps}?"],
           "c_f_recs": ["Should I {recs}?", "Would it make sense to {recs}?"],
           "c_f_risk": ["I think I'm {risk}, really.", "Would you say I'm {risk}?"]}
CONFIRM = ["Yes, exactly.", "Yes, that's right.", "That's correct.", "Yes, I agree.", "I think so, yes.",
           "Yes, that's what I'd say."]
YES = ["Yes.", "That's right.", "Yes, that's it.", "Correct.", "Mm, yes."]
ECHO = ["{S}? Okay.", "Okay, {s}.", "Right, {s}.", "{S}, okay.", "So {s}, yes?", "{S}. Okay then."]
# Split over two turns: (first part, question by the other speaker, second part).
SPLIT = {"c_med": [("I'll start you on {name}.", ["How much do I take?", "What dose?", "And how much?"],
                    ["{dose}, {freq}.", "It's {dose}, {freq}.", "{Dose} {freq}."]),
                   ("I'm prescribing {name} {dose}.", ["How often?", "How often do I take it?"],
                    ["{Freq}.", "Take it {freq}.", "{Freq}, please."])],
         "c_subj": [("I've had {sym}.", ["How long for?", "How long has that been going on?", "Since when?"],
                     ["{Dur}. {Mods}.", "About {dur} now, {mods}.", "For {dur}, {mods}."])],
         "c_h_event": [("There was {what} in {loc}.", ["When was this?", "When did it happen?"],
                        ["On {when}.", "It was {when}.", "That was {when}."])]}


def _finish(s):
    s = s.strip()
    s = s[:1].upper() + s[1:] if not s.startswith("{") else "{" + s[1:2].upper() + s[2:]
    return s if s[-1] in ".?!" else s + "."


def template(r, key, who="pro"):
    """A composed sentence template for the key (opener + core + tail), or None when the key has no cores."""
    cores = CORES.get(key)
    if not cores:
        return None
    core = r.choice(cores)
    if core[-1] in ".?!" and core[:1].isupper():  # a whole sentence already
        return core
    dictation = key.startswith("d_")
    if r.random() < 0.45:
        op = r.choice(D_OPEN if dictation else OPEN[who])
        core = f"{op} {core}"
    s = _finish(core)
    if not dictation and s[-1] == "." and r.random() < 0.15:
        s += " " + r.choice(TAIL[who])
    return s


def exchange(r, key, who):
    """[(who, template)] of an exchange around the fact, or None (then datagen says the fact in one turn)."""
    k = r.random()
    other = OTHER[who]
    if key in SPLIT and k < 0.25:
        first, qs, seconds = r.choice(SPLIT[key])
        return [(who, first), (other, r.choice(qs)), (who, r.choice(seconds))]
    if key in ASK and k < 0.45:
        return [(other, r.choice(ASK[key])), (who, template(r, key, who))]
    if key in PROPOSE and k < 0.6:
        return [(other, r.choice(PROPOSE[key])), (who, r.choice(CONFIRM) + " " + template(r, key, who))
                if r.random() < 0.5 else (who, r.choice(CONFIRM))]
    if k < 0.7 and key in ECHO_SLOT:
        slot = ECHO_SLOT[key]
        e = r.choice(ECHO).replace("{S}", "{" + slot[0].upper() + slot[1:] + "}").replace("{s}", "{" + slot + "}")
        out = [(who, template(r, key, who)), (other, e)]
        return out + [(who, r.choice(YES))] if r.random() < 0.4 else out
    return None


# The slot an echo repeats (a short value the other speaker would say back).
ECHO_SLOT = {"c_dx": "dx", "c_plan": "plan", "c_med_bare": "name", "c_med_nodose": "name", "c_fu_abs": "when",
             "c_fu_rel": "rel", "c_l_matter": "matter", "c_f_risk": "risk", "c_h_rep": "rep",
             "c_f_goals": "goals"}
