// test-scribe-check-eval.cpp — an evaluation of the support check (apps/scribe/support.h) on generated notes:
// a small deterministic generator writes transcripts and their correct notes (SOAP, finance, HR, legal, and an
// observations template with numeric fields), then injects one error of each kind into a copy of each note
// (changed number, swapped numbers, wrong unit, wrong date, relative date written as an absolute one, wrong
// enum, flipped boolean, negated finding, invented string fact; in family F also a corrected value). Per kind: flag recall (the injected value is
// flagged) and precision (flags on the injected value / all flags of those notes); the clean notes' false flags
// count against the overall precision. A wrong date is one the transcript does not say (not another date of it).
// Six phrasing families (wordings, names, drugs, number words, date forms, conversation structure), each
// written before the check was run on it: A (seeds 1..200) was tuned on from the start; B (1001..), C (2001..)
// and D (3001..) were each held out until their first run and then tuned on (their first runs are in
// docs/training.md); E (seeds 4001..4200) and F (5001..5200: spoken corrections, and one more kind of error, the
// value said first and then corrected) are the held-out families docs/training.md reports, and the bars (recall
// >= 0.95, precision >= 0.9, per kind and overall) are asserted on them; on A-D overall.
// Prints the tables: `build/test-scribe-check-eval` (or ctest --test-dir build -R ScribeCheckEval -V); EVAL_ALL=1 lists every
// false flag.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/json.h"
#include "scribe/note.h"

using namespace sotto;

namespace {

const std::string kRoot = SOTTO_SOURCE_DIR;

struct Rng {
  uint64_t s;
  uint32_t next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return uint32_t(s >> 33);
  }
  int in(int a, int b) { return a + int(next() % uint32_t(b - a + 1)); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[next() % v.size()]; }
  bool coin() { return next() % 2; }
};

const char* kMonths[] = {"January", "February", "March", "April", "May", "June", "July", "August", "September",
                         "October", "November", "December"};

struct Date {
  int y, m, d;
};
std::string iso(Date t) {
  char b[16];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d", t.y, t.m, t.d);
  return b;
}
std::string ord(int d) {
  const char* s = (d % 100 >= 11 && d % 100 <= 13) ? "th" : d % 10 == 1 ? "st" : d % 10 == 2 ? "nd" : d % 10 == 3 ? "rd" : "th";
  return std::to_string(d) + s;
}
std::string words_of(int n) {  // 0..99
  static const char* u[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                            "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                            "eighteen", "nineteen"};
  static const char* t[] = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
  if (n < 20) return u[n];
  return std::string(t[n / 10]) + (n % 10 ? std::string("-") + u[n % 10] : "");
}
// A date as a person says it: family A and family B know different forms.
std::string say(Date t, int fam, Rng& r) {
  const std::string m = kMonths[t.m - 1];
  if (fam == 5) {
    static const char* wd[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"};
    switch (r.in(0, 1)) {
      case 0: return std::string(wd[r.in(0, 4)]) + " the " + ord(t.d) + " of " + m + ", " + std::to_string(t.y);
      default: return m + " " + std::to_string(t.d) + " " + std::to_string(t.y);
    }
  }
  if (fam == 4) {
    static const char* wd[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"};
    switch (r.in(0, 2)) {
      case 0: return "the " + ord(t.d) + " of " + m + ", " + std::to_string(t.y);
      case 1: return std::string(wd[r.in(0, 4)]) + ", " + m + " " + ord(t.d) + " " + std::to_string(t.y);
      default: return iso(t);
    }
  }
  if (fam == 3) {
    static const char* ab[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    switch (r.in(0, 2)) {
      case 0: return ord(t.d) + " " + m + " " + std::to_string(t.y);
      case 1: return std::string(ab[t.m - 1]) + " " + std::to_string(t.d) + ", " + std::to_string(t.y);
      default: return iso(t);
    }
  }
  if (fam == 2) {
    char dd[16];
    std::snprintf(dd, sizeof dd, "%02d/%02d/%04d", t.d, t.m, t.y);
    switch (r.in(0, 2)) {
      case 0: return "Monday " + std::to_string(t.d) + " " + m + " " + std::to_string(t.y);
      case 1: return dd;
      default: return m + " the " + ord(t.d) + ", " + std::to_string(t.y);
    }
  }
  if (fam == 0) {
    switch (r.in(0, 2)) {
      case 0: return m + " " + ord(t.d) + ", " + std::to_string(t.y);
      case 1: return std::to_string(t.d) + " " + m + " " + std::to_string(t.y);
      default: return iso(t);
    }
  }
  switch (r.in(0, 3)) {
    case 0: return "the " + ord(t.d) + " of " + m + " " + std::to_string(t.y);
    case 1: return std::to_string(t.d) + "/" + std::to_string(t.m) + "/" + std::to_string(t.y);
    case 2: return m + " " + std::to_string(t.d) + ", " + std::to_string(t.y);
    default: return "the " + ord(t.d) + " of " + m + ", twenty " + words_of(t.y % 100);
  }
}
Date some_date(Rng& r) { return {r.in(2023, 2027), r.in(1, 12), r.in(1, 28)}; }
Date other_date(Date t, Rng& r) {
  switch (r.in(0, 2)) {
    case 0: t.d = (t.d + r.in(1, 20) - 1) % 28 + 1; break;
    case 1: t.m = t.m % 12 + 1; break;
    default: t.y += 1; break;
  }
  return t;
}

struct Case {
  std::string tmpl;  // template name, or "obs" (the observations schema below)
  std::string transcript;
  json::Value note;
};
struct Injected {
  Injected(std::string k, std::string p, std::string t, json::Value n, std::string a = "")
      : kind(std::move(k)), path(std::move(p)), transcript(std::move(t)), note(std::move(n)), also(std::move(a)) {}
  std::string kind, path;
  std::string transcript;
  json::Value note;
  std::string also;  // a second value the error changed (the other of two swapped fields): its flag is no false flag
};

const char* kObsSchema = R"({"title": "Observations", "description": "Record the observations.", "type": "object",
  "properties": {"visit_date": {"type": "string", "format": "date"},
    "heart_rate": {"type": "integer", "description": "Heart rate in beats per minute"},
    "spo2": {"type": "integer", "description": "Oxygen saturation in percent"},
    "resp_rate": {"type": "integer", "description": "Respiratory rate"},
    "temperature_c": {"type": "number", "description": "Temperature in degrees Celsius"}}})";

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}
json::Value parse(const std::string& s) { return json::parse(s, "generated note"); }
json::Value with(json::Value note, const std::string& key, json::Value v) {
  note.set(key, std::move(v));
  return note;
}
std::string fmt1(int tenths) { return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10); }

// ---- the generators: a correct case and its injected errors --------------------------------------------------

using Words = std::vector<std::string>;
// One list per phrasing family: A, B, C.
Words fam3(int fam, const Words& a, const Words& b, const Words& c) { return fam == 0 ? a : fam == 1 ? b : c; }
// Family D's own list where it has one (the families were written one after another; D last).
Words fam4(int fam, const Words& a, const Words& b, const Words& c, const Words& d) { return fam == 3 ? d : fam3(fam, a, b, c); }
Words fam5(int fam, const Words& a, const Words& b, const Words& c, const Words& d, const Words& e) {
  return fam == 4 ? e : fam4(fam, a, b, c, d);
}
Words fam6(int fam, const Words& a, const Words& b, const Words& c, const Words& d, const Words& e, const Words& f) {
  return fam == 5 ? f : fam5(fam, a, b, c, d, e);
}

struct Names {
  std::vector<std::string> first, last;
};
const Names& names(int fam) {
  static const Names a{{"Maria", "James", "Olivia", "Tom", "Elena", "Noah", "Zoe", "Kofi"},
                       {"Garcia", "Smith", "Mensah", "Evans", "Haddad", "Murphy", "Okafor", "Young"}};
  static const Names h{{"Priya", "Lukas", "Amara", "Dmitri", "Sofia", "Kenji", "Ines", "Rafael"},
                       {"Nakamura", "Kowalczyk", "Adeyemi", "Lindqvist", "Moreau", "Castillo", "Brennan", "Farouk"}};
  static const Names c{{"Aisha", "Bjorn", "Chloe", "Diego", "Hana", "Ivan", "Leila", "Marcus"},
                       {"Oyelaran", "Svensson", "Dubois", "Alvarez", "Takahashi", "Petrov", "Rahimi", "Whitfield"}};
  static const Names d{{"Tariq", "Ngozi", "Freya", "Mateo", "Yuki", "Oskar", "Zainab", "Callum"},
                       {"Haddadin", "Eze", "Lindgren", "Ruiz", "Sato", "Nowak", "Qureshi", "MacLeod"}};
  static const Names e{{"Beatriz", "Kwame", "Astrid", "Rohan", "Mei", "Tobias", "Fatima", "Liam"},
                       {"Santos", "Asante", "Berg", "Mehta", "Chen", "Keller", "Bello", "Fitzgerald"}};
  static const Names f{{"Nadia", "Samuel", "Ingrid", "Omar", "Keiko", "Pablo", "Grace", "Viktor"},
                       {"Ferreira", "Novak", "Ito", "Larsen", "Diallo", "Romano", "Kaur", "Walsh"}};
  return fam == 0 ? a : fam == 1 ? h : fam == 2 ? c : fam == 3 ? d : fam == 4 ? e : f;
}
std::string person(int fam, Rng& r) { return r.pick(names(fam).first) + " " + r.pick(names(fam).last); }

void soap(int fam, Rng& r, std::vector<Case>& cases, std::vector<Injected>& inj) {
  const bool b = fam == 1;
  const Words& symptoms = fam6(fam, {"a cough", "fever", "headache", "tiredness", "knee pain", "wheeze"},
                              {"a sore throat", "earache", "dizziness", "nausea", "a rash", "back pain"},
                              {"sinus pain", "a blocked nose", "joint stiffness", "an itchy rash", "diarrhoea", "low mood"},
                              {"a runny nose", "ear pain", "heartburn", "muscle aches", "a sore eye", "cramps"},
                              {"a stiff neck", "sneezing", "a sore back", "indigestion", "poor sleep", "leg swelling"},
                              {"a tight chest", "hoarseness", "hip pain", "bloating", "itchy eyes", "a dry cough"});
  const Words& denied = fam6(fam, {"chest pain", "shortness of breath", "weight loss"}, {"vomiting", "palpitations", "blurred vision"},
                            {"fever", "blood in the stool", "night sweats"}, {"headache", "swollen ankles", "coughing up blood"},
                            {"vomiting", "numbness", "chest tightness"}, {"fainting", "leg weakness", "rashes"});
  const std::vector<std::pair<std::string, std::vector<int>>> drugs =
      fam == 5 ? std::vector<std::pair<std::string, std::vector<int>>>{{"montelukast", {4, 10}}, {"mebeverine", {135, 200}}, {"loratadine", {5, 10}}, {"budesonide", {100, 200}}}
      : fam == 4 ? std::vector<std::pair<std::string, std::vector<int>>>{{"cetirizine", {10, 20}}, {"lansoprazole", {15, 30}}, {"diclofenac", {50, 75}}, {"amitriptyline", {10, 25}}}
      : fam == 3 ? std::vector<std::pair<std::string, std::vector<int>>>{{"clarithromycin", {250, 500}}, {"ranitidine", {150, 300}}, {"citalopram", {10, 20}}, {"atorvastatin", {20, 40}}}
      : fam == 2 ? std::vector<std::pair<std::string, std::vector<int>>>{{"doxycycline", {100, 200}}, {"omeprazole", {20, 40}}, {"amlodipine", {5, 10}}, {"prednisolone", {5, 30}}}
      : b ? std::vector<std::pair<std::string, std::vector<int>>>{{"naproxen", {250, 500}}, {"cefalexin", {250, 500}}, {"sertraline", {50, 100}}, {"metformin", {500, 850}}}
        : std::vector<std::pair<std::string, std::vector<int>>>{{"amoxicillin", {250, 500}}, {"ibuprofen", {200, 400}}, {"paracetamol", {500, 1000}}, {"lisinopril", {5, 10, 20}}};
  const Words& freqs = fam6(fam, {"daily", "twice daily", "as needed"}, {"every morning", "at night", "with food"},
                           {"once a day", "in the evening", "before breakfast"}, {"at bedtime", "each morning", "after meals"},
                           {"at night", "twice a day", "in the morning"}, {"with breakfast", "every evening", "when needed"});
  const std::string name = person(fam, r);
  std::string s1 = r.pick(symptoms), s2;
  do s2 = r.pick(symptoms); while (s2 == s1);
  const std::string dn = r.pick(denied);
  const int days = r.in(2, 14), temp = r.in(360, 395), hr = r.in(55, 118), spo2 = r.in(88, 99), bp1 = r.in(100, 160),
            bp2 = r.in(60, 95);
  const auto& m1 = drugs[r.next() % drugs.size()];
  auto m2 = drugs[r.next() % drugs.size()];
  const bool two = m2.first != m1.first && r.coin();
  const int d1 = r.pick(m1.second), d2 = r.pick(m2.second);
  const std::string f1 = r.pick(freqs), f2 = r.pick(freqs);
  const Date fu = some_date(r);
  const std::string dx = r.pick(fam6(fam, {"a chest infection", "a viral illness", "sinusitis", "a sprain"},
                                     {"a chest infection", "a viral illness", "sinusitis", "a sprain"},
                                     {"gastritis", "an allergic reaction", "a flare of arthritis"},
                                     {"reflux", "conjunctivitis", "a muscle strain"},
                                     {"a muscle spasm", "allergic rhinitis", "indigestion"},
                                     {"bronchitis", "hay fever", "irritable bowel"}));
  const std::string plan = r.pick(fam6(fam, {"rest and fluids", "blood tests", "a chest x-ray", "physiotherapy referral"},
                                       {"rest and fluids", "blood tests", "a chest x-ray", "physiotherapy referral"},
                                       {"a stool sample", "an ECG", "steam inhalation"},
                                       {"a urine test", "an eye swab", "gentle stretching"},
                                       {"a blood count", "heat packs", "a review of sleep habits"},
                                       {"a peak flow diary", "a food diary", "saline nasal spray"}));
  auto strip = [](const std::string& s) { return s.rfind("a ", 0) == 0 ? s.substr(2) : s; };
  std::string t;
  int said_first = d1;  // family F: the dose said first, then corrected
  if (fam == 5) {
    do said_first = r.in(1, 60) * 5; while (said_first == d1 || said_first == d2);
    t = "Doctor: Morning " + name + ", nice to see you. Busy week?\nPatient: Oh, you know, the usual. Work's been hectic.\n" +
        "Doctor: So what can I do for you?\nPatient: I've been getting " + s1 + ", and " + s2 + " as well, for about " +
        std::to_string(days) + " days.\nDoctor: Any " + dn + "?\nPatient: No.\nDoctor: Let me have a look. Your temperature's " +
        fmt1(temp) + ", pulse " + std::to_string(hr) + ", oxygen " + std::to_string(spo2) + " percent, blood pressure " +
        std::to_string(bp1) + " over " + std::to_string(bp2) + ".\nDoctor: I think we're dealing with " + dx + ".\nDoctor: I'll start you on " +
        m1.first + " " + std::to_string(said_first) + " mg, actually make that " + std::to_string(d1) + " mg, " + f1 +
        (two ? ", and " + m2.first + " " + std::to_string(d2) + " mg " + f2 : "") + ".\nDoctor: We'll also do " + plan + ".\n";
  } else if (fam == 4) {
    t = "Doctor: Hi " + name + ", um, have a seat. How was the weekend?\nPatient: Oh fine, thanks. But, uh, I've had " + s1 + " for " +
        std::to_string(days) + " days, and " + s2 + " too.\nDoctor: Any " + dn + "?\nPatient: No, none.\nDoctor: OK. Let me take your obs. " +
        "Temperature is " + fmt1(temp) + ", pulse " + std::to_string(hr) + ", oxygen level " + std::to_string(spo2) + "%, blood pressure " +
        std::to_string(bp1) + " over " + std::to_string(bp2) + ".\nDoctor: So, um, it's probably " + dx + ".\nDoctor: Let's start " + m1.first +
        " at " + std::to_string(d1) + " mg " + f1 + (two ? ", and " + m2.first + " at " + std::to_string(d2) + " mg " + f2 : "") +
        ".\nDoctor: And " + plan + ".\n";
  } else if (fam == 3) {
    t = "GP: Come in, " + name + ". Tell me what's been happening.\nPatient: So I've got " + s1 + ", plus " + s2 + ", going on " +
        words_of(days) + " days now. No " + dn + " though.\nGP: Right. Pulse " + std::to_string(hr) + ", temperature " + fmt1(temp) +
        ", saturations " + std::to_string(spo2) + " per cent, and your blood pressure is " + std::to_string(bp1) + "/" +
        std::to_string(bp2) + ".\nGP: I think this is " + dx + ".\nGP: I'm going to give you " + m1.first + ", " + std::to_string(d1) +
        " milligrams " + f1 + (two ? ", plus " + m2.first + ", " + std::to_string(d2) + " milligrams " + f2 : "") + ".\nGP: Also " +
        plan + ".\n";
  } else if (fam == 2) {
    t = "Clinician: Morning " + name + ". What's the problem?\nPatient: It started " + std::to_string(days) + " days ago: " + s1 +
        ", then " + s2 + ". There's been no " + dn + ".\nClinician: Observations: temp " + fmt1(temp) + ", HR " + std::to_string(hr) +
        ", O2 sats " + std::to_string(spo2) + "%, blood pressure " + std::to_string(bp1) + " on " + std::to_string(bp2) +
        ".\nClinician: Most likely " + dx + ".\nClinician: Take " + m1.first + " " + std::to_string(d1) + "mg " + f1 +
        (two ? "; also " + m2.first + " " + std::to_string(d2) + "mg " + f2 : "") + ".\nClinician: Plan is " + plan + ".\n";
  } else if (!b) {
    t = "Doctor: What brings you in today, " + name + "?\nPatient: I've had " + s1 + " and " + s2 + " for " +
        std::to_string(days) + " days. No " + dn + ".\nDoctor: On examination, temperature " + fmt1(temp) +
        ", heart rate " + std::to_string(hr) + ", oxygen saturation " + std::to_string(spo2) + "%, blood pressure " +
        std::to_string(bp1) + " over " + std::to_string(bp2) + ".\nDoctor: This looks like " + dx + ".\nDoctor: Start " +
        m1.first + " " + std::to_string(d1) + " mg " + f1 + (two ? ", and " + m2.first + " " + std::to_string(d2) + " mg " + f2 : "") +
        ".\nDoctor: We'll arrange " + plan + ".\n";
  } else {
    t = "Doctor: Hello " + name + ", how can I help?\nPatient: Well, for about " + words_of(days) + " days I've had " + s1 +
        ", and also " + s2 + ". I haven't had any " + dn + ".\nDoctor: Let me check. Your pulse is " + std::to_string(hr) +
        " beats per minute, sats " + std::to_string(spo2) + " percent, temperature " + fmt1(temp) + " degrees, BP " +
        std::to_string(bp1) + "/" + std::to_string(bp2) + ".\nDoctor: I think it's " + dx + ".\nDoctor: I'll prescribe " +
        std::to_string(d1) + " mg of " + m1.first + " " + f1 + (two ? " and " + std::to_string(d2) + " mg of " + m2.first + " " + f2 : "") +
        ".\nDoctor: I'd suggest " + plan + ".\n";
  }
  const std::string fu_said = fam == 5 ? "Doctor: Let's see how you are on " : fam == 4 ? "Doctor: See you on " : fam == 3 ? "GP: Come back to see me on " : fam == 2 ? "Clinician: Follow-up appointment on " : b ? "Doctor: I'd like to see you again on " : "Doctor: Review on ";
  const std::string tr = t + fu_said + say(fu, fam, r) + ".";
  auto subj = [&](const std::string& a, const std::string& c, const std::string& neg) {
    return strip(a) + " and " + strip(c) + " for " + std::to_string(days) + " days; denies " + neg;
  };
  auto obj = [&](int h, int s, int tt, const std::string& unit_pct) {
    return "Temperature " + fmt1(tt) + ", heart rate " + std::to_string(h) + ", SpO2 " + std::to_string(s) + unit_pct +
           ", BP " + std::to_string(bp1) + "/" + std::to_string(bp2);
  };
  auto meds = [&](int a, int c, const std::string& unit) {
    json::Value arr = json::Value::array();
    arr.push_back(parse("{\"name\": \"" + m1.first + "\", \"dose\": \"" + std::to_string(a) + " " + unit + "\", \"frequency\": \"" + f1 + "\"}"));
    if (two) arr.push_back(parse("{\"name\": \"" + m2.first + "\", \"dose\": \"" + std::to_string(c) + " mg\", \"frequency\": \"" + f2 + "\"}"));
    return arr;
  };
  json::Value note = json::Value::object();
  note.set("subjective", json::Value(subj(s1, s2, dn)));
  note.set("objective", json::Value(obj(hr, spo2, temp, "%")));
  note.set("assessment", json::Value(dx));
  note.set("plan", json::Value(plan));
  note.set("medications", meds(d1, d2, "mg"));
  note.set("follow_up", json::Value(iso(fu)));
  cases.push_back({"soap", tr, note});
  // changed number: one of the vitals, the duration or the dose
  switch (r.in(0, 3)) {
    case 0: inj.push_back({"changed number", "/objective", tr, with(note, "objective", json::Value(obj(hr + r.in(1, 9), spo2, temp, "%")))}); break;
    case 1: inj.push_back({"changed number", "/objective", tr, with(note, "objective", json::Value(obj(hr, spo2, temp + r.in(1, 9), "%")))}); break;
    case 2: inj.push_back({"changed number", "/subjective", tr, with(note, "subjective", json::Value(
                             strip(s1) + " and " + strip(s2) + " for " + std::to_string(days + r.in(1, 5)) + " days; denies " + dn))}); break;
    default: inj.push_back({"changed number", "/medications/0/dose", tr, with(note, "medications", meds(d1 * 2, d2, "mg"))}); break;
  }
  if (two && d1 != d2 && r.coin()) {
    inj.push_back({"swapped numbers", "/medications/0/dose", tr, with(note, "medications", meds(d2, d1, "mg")), "/medications/1/dose"});
  } else if (hr != spo2) {
    inj.push_back({"swapped numbers", "/objective", tr, with(note, "objective", json::Value(obj(spo2, hr, temp, "%")))});
  }
  inj.push_back({"wrong unit", "/medications/0/dose", tr, with(note, "medications", meds(d1, d2, r.coin() ? "g" : "mcg"))});
  inj.push_back({"wrong date", "/follow_up", tr, with(note, "follow_up", json::Value(iso(other_date(fu, r))))});
  if (fam == 5) inj.push_back({"corrected value", "/medications/0/dose", tr, with(note, "medications", meds(said_first, d2, "mg"))});
  const std::string rel = r.pick(fam6(fam, {"in two weeks", "in 3 months"}, {"in a fortnight", "next Tuesday"},
                                      {"in six weeks", "next month"}, {"in ten days", "in a month's time"},
                                      {"in 4 weeks", "next Friday"}, {"in three weeks", "tomorrow"}));
  inj.push_back({"relative date", "/follow_up", t + fu_said.substr(0, fu_said.size() - 4) + " " + rel + ".", note});
  inj.push_back({"negated finding", "/subjective", tr, with(note, "subjective", json::Value(
      r.coin() ? strip(s1) + ", " + strip(s2) + " and " + dn + " for " + std::to_string(days) + " days"
               : strip(s2) + " for " + std::to_string(days) + " days; denies " + strip(s1)))});
  const std::string invented = r.pick(fam6(fam, {"a CT scan", "an ultrasound", "aspirin daily"},
                                           {"an MRI of the spine", "allergy testing", "a sleep study"},
                                           {"a colonoscopy", "an inhaler", "a knee brace"},
                                           {"a chest CT", "a hearing test", "antibiotic eye drops"},
                                           {"an MRI scan", "a referral to surgery", "codeine"},
                                           {"a bone scan", "steroid injections", "a sleep clinic referral"}));
  inj.push_back({"invented fact", "/plan", tr, with(note, "plan", json::Value(plan + ", and " + invented))});
}

void obs(int fam, Rng& r, std::vector<Case>& cases, std::vector<Injected>& inj) {
  const bool b = fam == 1;
  const Date d = some_date(r);
  int hr = r.in(55, 118), spo2 = r.in(88, 99), rr = r.in(12, 24), temp = r.in(360, 395);
  std::string tr;
  int hr_first = hr;
  if (fam == 5) {
    do hr_first = r.in(55, 118); while (hr_first == hr || hr_first == spo2 || hr_first == rr);
    tr = "Nurse: Obs on " + say(d, fam, r) + ". Heart rate " + std::to_string(hr_first) + ", sorry, " + std::to_string(hr) + ". Sats " +
         std::to_string(spo2) + "%. Resp rate " + std::to_string(rr) + ". Temp " + fmt1(temp) + ".";
  } else if (fam == 4) {
    tr = "Nurse: Right, obs for today, " + say(d, fam, r) + ". Um, her heart rate's " + std::to_string(hr) + ", oxygen's " +
         std::to_string(spo2) + " percent, she's breathing at " + std::to_string(rr) + " a minute, and temperature " + fmt1(temp) + ".";
  } else if (fam == 3) {
    tr = "Nurse: " + say(d, fam, r) + " obs: pulse rate " + std::to_string(hr) + " regular, sats " + std::to_string(spo2) +
         "% on air, RR " + std::to_string(rr) + ", temp " + fmt1(temp) + " degrees C.";
  } else if (fam == 2) {
    tr = "HCA: Obs for " + say(d, fam, r) + ". HR " + std::to_string(hr) + ". O2 sat " + std::to_string(spo2) + "%. Resps " +
         std::to_string(rr) + ". Temp " + fmt1(temp) + " C.";
  } else if (!b) {
    tr = "Nurse: Observations on " + say(d, fam, r) + ": heart rate " + std::to_string(hr) + ", oxygen saturation " +
         std::to_string(spo2) + "%, respiratory rate " + std::to_string(rr) + ", temperature " + fmt1(temp) + ".";
  } else {
    tr = "Nurse: I took her obs on " + say(d, fam, r) + ". Pulse " + std::to_string(hr) + " bpm. She's saturating at " +
         std::to_string(spo2) + " percent. Breathing " + std::to_string(rr) + " times a minute, and her temperature is " +
         fmt1(temp) + " degrees.";
  }
  auto note = [&](int h, int s, int rt, int tt, Date dd) {
    return parse("{\"visit_date\": \"" + iso(dd) + "\", \"heart_rate\": " + std::to_string(h) + ", \"spo2\": " +
                 std::to_string(s) + ", \"resp_rate\": " + std::to_string(rt) + ", \"temperature_c\": " + fmt1(tt) + "}");
  };
  cases.push_back({"obs", tr, note(hr, spo2, rr, temp, d)});
  switch (r.in(0, 2)) {
    case 0: inj.push_back({"changed number", "/heart_rate", tr, note(hr + r.in(1, 9), spo2, rr, temp, d)}); break;
    case 1: inj.push_back({"changed number", "/resp_rate", tr, note(hr, spo2, rr + r.in(1, 6), temp, d)}); break;
    default: inj.push_back({"changed number", "/temperature_c", tr, note(hr, spo2, rr, temp + r.in(1, 9), d)}); break;
  }
  if (hr != spo2) inj.push_back({"swapped numbers", "/heart_rate", tr, note(spo2, hr, rr, temp, d), "/spo2"});
  inj.push_back({"wrong date", "/visit_date", tr, note(hr, spo2, rr, temp, other_date(d, r))});
  if (fam == 5) inj.push_back({"corrected value", "/heart_rate", tr, note(hr_first, spo2, rr, temp, d)});
}

void finance(int fam, Rng& r, std::vector<Case>& cases, std::vector<Injected>& inj) {
  const bool b = fam == 1;
  const std::vector<std::string> goals = {"retirement planning", "saving for a house deposit", "school fees planning", "paying down debt"};
  const std::vector<std::string> risks = {"cautious", "balanced", "growth", "adventurous"};
  const Words& assets = fam6(fam, {"a stocks and shares ISA", "company shares", "a personal pension", "a current account"},
                            {"a workplace pension", "premium bonds", "a buy-to-let flat", "an investment bond"},
                            {"a cash ISA", "a final salary pension", "a rental property", "some bonds"},
                            {"a SIPP", "a junior ISA", "a holiday home", "some premium bonds"},
                            {"a lifetime ISA", "a defined benefit pension", "a savings account", "gold coins"},
                            {"an ethical fund", "a company pension", "a fixed rate bond", "a share portfolio"});
  const std::string client = person(fam, r);
  const Date d = some_date(r), rv = other_date(other_date(d, r), r);
  std::string g1 = r.pick(goals), g2;
  do g2 = r.pick(goals); while (g2 == g1);
  const std::string risk = r.pick(risks);
  std::string a1 = r.pick(assets), a2;
  do a2 = r.pick(assets); while (a2 == a1);
  const int v1 = r.in(10, 400) * 1000, v2 = r.in(10, 400) * 1000;
  const bool fees = r.coin();
  const std::string rec = r.pick(fam == 5 ? Words{"rebalance the portfolio", "use the annual ISA allowance"}
                                 : fam == 4 ? Words{"top up the lifetime ISA", "switch to a cheaper platform"}
                                 : fam == 3 ? Words{"start a junior ISA for the children", "pay off the credit card first"}
                                 : fam == 2 ? Words{"increase pension contributions", "set up a lasting power of attorney"}
                                          : Words{"consolidate the old pensions", "open a stocks and shares ISA", "review the will", "buy a global index fund"});
  auto money = [](int v) {  // £188,000
    const std::string n = std::to_string(v);
    return "\xC2\xA3" + n.substr(0, n.size() - 3) + "," + n.substr(n.size() - 3);
  };
  std::string t = fam == 5 ? "Adviser: Hello " + client + ", come in. Today's " + say(d, fam, r) + ".\nClient: Thanks. I'd like to look at " +
                                 g1 + " and " + g2 + ".\n"
                 : fam == 4 ? "Adviser: Lovely to see you again, " + client + ". So today's " + say(d, fam, r) + ".\nClient: Yes. Um, I mainly want to focus on " +
                                 g1 + ", and also " + g2 + ".\nAdviser: And what have you got at the moment?\n"
                 : fam == 3 ? "Adviser: Right, " + client + ", it's " + say(d, fam, r) + " and this is your annual review.\nClient: What matters most to me is " +
                                 g1 + ", and after that " + g2 + ".\n"
                 : fam == 2 ? "Planner: Good to see you, " + client + ", on " + say(d, fam, r) + ".\nClient: My priorities are " +
                                 g1 + ", and " + g2 + ".\n"
                           : "Adviser: Thanks for coming in, " + client + ". Today is " + say(d, fam, r) + ".\nClient: I want to talk about " +
                                 g1 + " and " + g2 + ".\n";
  int v1_first = v1;
  if (fam == 5) {
    do v1_first = r.in(10, 400) * 1000; while (v1_first == v1 || v1_first == v2);
    t += "Client: I've got " + a1 + " with " + std::to_string(v1_first) + " pounds in it, no wait, " + std::to_string(v1) + " pounds, and " +
         a2 + " with " + std::to_string(v2) + " pounds.\nAdviser: I'd describe your attitude to risk as " + risk + ".\nAdviser: I suggest you " +
         rec + ".\nAdviser: " + (fees ? "Our fees are disclosed in the engagement letter you signed." : "We haven't disclosed the fees yet.") +
         "\nAdviser: See you again on ";
  } else if (fam == 4) {
    t += "Client: There's " + a1 + " with around " + std::to_string(v1) + " pounds, and " + a2 + ", which is about " + std::to_string(v2) +
         " pounds.\nAdviser: Based on our chat, I'd say you're a " + risk + " investor.\nAdviser: My advice is to " + rec + ".\nAdviser: " +
         (fees ? "I've been through our charges and the fees are disclosed in your report."
               : "We didn't get to the fees today, so they're not disclosed yet.") +
         "\nAdviser: Let's catch up again on ";
  } else if (fam == 3) {
    t += "Client: I've got " + a1 + ", about " + std::to_string(v1) + " pounds in it, and " + a2 + " worth " + money(v2) +
         ".\nAdviser: From the questionnaire your risk profile comes out as " + risk + ".\nAdviser: So I recommend that you " + rec +
         ".\nAdviser: " + (fees ? r.pick(Words{"You've seen our fee disclosure document.", "I disclosed our fees at the start of the meeting."})
                                : r.pick(Words{"We still need to disclose our fees to you.", "Fees haven't been disclosed yet."})) +
         "\nAdviser: Review date: ";
  } else if (fam == 2) {
    t += "Client: I hold " + a1 + ", valued at " + std::to_string(v1 / 1000) + "k pounds, and " + a2 + " at " + money(v2) +
         ".\nPlanner: I'd put your risk appetite at " + risk + ".\nPlanner: Recommendation: " + rec + ".\nPlanner: " +
         (fees ? "Our fees have been disclosed and you've signed the fee letter." : "I'll send our fees next time; they were not disclosed today.") +
         "\nPlanner: Next review on ";
  } else if (!b) {
    t += "Client: I have " + a1 + " worth " + std::to_string(v1) + " pounds and " + a2 + " worth " + std::to_string(v2) +
         " pounds.\nAdviser: Your attitude to risk is " + risk + ".\nAdviser: My recommendation is to " + rec + ".\nAdviser: " +
         (fees ? "Our fees were explained and agreed." : "Fees were not covered today.") + "\nAdviser: Let's review this on ";
  } else {
    t += "Client: There's " + a1 + " of about " + money(v1) + ", and then " + a2 + ", roughly " + money(v2) +
         ".\nAdviser: On risk, we agreed that " + risk + " suits you best.\nAdviser: I'd suggest you " + rec + ".\nAdviser: " +
         (fees ? "I have disclosed all of our fees to you in writing." : "We haven't disclosed our fees yet, I'll send them.") +
         "\nAdviser: We'll meet again on ";
  }
  const std::string tr = t + say(rv, fam, r) + ".";
  auto holdings = [&](int x, int y, const std::string& unit) {
    return a1 + " worth " + std::to_string(x) + " " + unit + ", " + a2 + " worth " + std::to_string(y) + " pounds";
  };
  json::Value recs = json::Value::array();
  recs.push_back(json::Value(rec));
  json::Value note = json::Value::object();
  note.set("client", json::Value(client));
  note.set("meeting_date", json::Value(iso(d)));
  note.set("objectives", json::Value(g1 + " and " + g2));
  note.set("risk_profile", json::Value(risk));
  note.set("current_holdings", json::Value(holdings(v1, v2, "pounds")));
  note.set("recommendations", recs);
  note.set("fees_disclosed", json::Value(fees));
  note.set("next_review", json::Value(iso(rv)));
  cases.push_back({"finance", tr, note});
  inj.push_back({"changed number", "/current_holdings", tr, with(note, "current_holdings", json::Value(holdings(v1 + 1000 * r.in(1, 9), v2, "pounds")))});
  if (v1 != v2) inj.push_back({"swapped numbers", "/current_holdings", tr, with(note, "current_holdings", json::Value(holdings(v2, v1, "pounds")))});
  inj.push_back({"wrong unit", "/current_holdings", tr, with(note, "current_holdings", json::Value(holdings(v1, v2, r.coin() ? "dollars" : "euros")))});
  inj.push_back({"wrong date", r.coin() ? "/meeting_date" : "/next_review", tr, note});
  Injected& wd = inj.back();
  Date wrong_d;
  do wrong_d = other_date(wd.path == "/meeting_date" ? d : rv, r); while (iso(wrong_d) == iso(d) || iso(wrong_d) == iso(rv));
  wd.note = with(note, wd.path.substr(1), json::Value(iso(wrong_d)));
  std::string wrong;
  do wrong = r.pick(risks); while (wrong == risk);
  inj.push_back({"wrong enum", "/risk_profile", tr, with(note, "risk_profile", json::Value(wrong))});
  if (fam == 5) inj.push_back({"corrected value", "/current_holdings", tr, with(note, "current_holdings", json::Value(holdings(v1_first, v2, "pounds")))});
  inj.push_back({"flipped boolean", "/fees_disclosed", tr, with(note, "fees_disclosed", json::Value(!fees))});
  json::Value more = recs;
  more.push_back(json::Value(r.pick(fam6(fam, {"buy gold bullion", "open an offshore trust"},
                                         {"buy shares in a gold miner", "take out life insurance"},
                                         {"move everything into crypto", "buy an annuity"},
                                         {"put the lump sum into a hedge fund", "cash in the pension"},
                                         {"buy property abroad", "take a payday loan"},
                                         {"invest in a friend's startup", "remortgage the house"}))));
  inj.push_back({"invented fact", "/recommendations/1", tr, with(note, "recommendations", more)});
}

void hr(int fam, Rng& r, std::vector<Case>& cases, std::vector<Injected>& inj) {
  const bool b = fam == 1;
  const std::vector<std::pair<std::string, std::string>> incidents =
      fam == 5 ? std::vector<std::pair<std::string, std::string>>{{"safety", "a pallet falling from a shelf"}, {"conduct", "a rude email to a client"}, {"attendance", "two no-shows this month"}, {"performance", "late reports"}, {"harassment", "jokes about his accent"}}
      : fam == 4 ? std::vector<std::pair<std::string, std::string>>{{"safety", "a spill left on the floor"}, {"conduct", "a shouting match"}, {"attendance", "a week of unexplained absence"}, {"performance", "missed sales targets"}, {"harassment", "comments about her religion"}}
      : fam == 3 ? std::vector<std::pair<std::string, std::string>>{{"safety", "a broken guard rail on the stairs"}, {"conduct", "swearing at a colleague"}, {"attendance", "leaving early without permission"}, {"performance", "failing the monthly audit"}, {"harassment", "sending unwanted messages"}}
      : fam == 2 ? std::vector<std::pair<std::string, std::string>>{{"safety", "a chemical spill"}, {"conduct", "rudeness to a visitor"}, {"attendance", "late arrivals every week"}, {"performance", "repeated errors in invoices"}, {"harassment", "unwelcome remarks about her age"}}
      : b ? std::vector<std::pair<std::string, std::string>>{{"safety", "a fall from a ladder"}, {"conduct", "shouting at a customer"}, {"attendance", "three missed shifts"}, {"harassment", "offensive messages"}}
        : std::vector<std::pair<std::string, std::string>>{{"safety", "a near miss with a forklift"}, {"conduct", "a heated argument"}, {"performance", "missed deadlines"}, {"harassment", "an inappropriate email"}};
  const std::string emp = person(fam, r), rep = person(fam, r), w1 = person(fam, r);
  const Date d = some_date(r);
  const auto& inc = incidents[r.next() % incidents.size()];
  const std::string loc = r.pick(fam6(fam, {"the warehouse", "the front office"}, {"the loading bay", "the call centre"}, {"the car park", "the canteen"},
                                      {"the staff room", "the reception desk"}, {"the warehouse floor", "the break room"},
                                      {"the delivery yard", "the IT office"}));
  const std::string act = r.pick(fam6(fam, {"scheduled refresher training", "spoke to the team"}, {"issued a written warning", "arranged mediation"},
                                      {"suspended the employee pending review", "offered counselling"},
                                      {"given a verbal warning", "moved him to another shift"},
                                      {"logged the complaint", "talked to both people"},
                                      {"reviewed the CCTV", "updated the risk assessment"}));
  const bool fu = r.coin();
  std::string tr;
  if (fam == 5) {
    tr = "Manager: Quick note about " + emp + ". " + rep + " flagged it to me.\nManager: It happened on " + say(d, fam, r) + " in " + loc +
         ".\nManager: Basically " + inc.second + ". It's a " + inc.first + " case.\nManager: " + w1 + " was there too.\nManager: We " + act +
         ". " + (fu ? "Follow-up is required next week." : "No follow-up required.");
  } else if (fam == 4) {
    tr = "HR: Thanks for coming in. Um, this is about " + emp + ", right?\nEmployee: Yes. " + rep + " reported it, not me.\nHR: When was it?\n" +
         "Employee: It was " + say(d, fam, r) + ", in " + loc + ".\nHR: And what happened?\nEmployee: There was " + inc.second +
         ". I'd call it " + inc.first + ", to be honest.\nHR: Did anyone see it?\nEmployee: " + w1 + " did.\nHR: OK. We've " + act +
         " already. " + (fu ? "We'll definitely follow up, so follow-up is required." : "I don't see a need to follow up further.");
  } else if (fam == 3) {
    tr = "Interviewer: This is about " + emp + "; " + rep + " made the complaint.\nInterviewer: When did it happen?\nWitness: On " +
         say(d, fam, r) + ", at " + loc + ".\nInterviewer: What happened?\nWitness: " + inc.second + ". Honestly it's a " + inc.first +
         " issue.\nInterviewer: Anyone else there?\nWitness: " + w1 + " was.\nInterviewer: We've " + act + ". " +
         (fu ? "We'll need a follow-up with both of them, so yes, follow-up is required." : "I don't think any follow-up is required.");
  } else if (fam == 2) {
    tr = "Supervisor: Report on " + emp + ". " + rep + " raised it. Date of incident: " + say(d, fam, r) + ". Where: " + loc +
         ". What happened: " + inc.second + ". Type: " + inc.first + ". Seen by " + w1 + ". Action so far: we " + act +
         ". Follow-up required: " + (fu ? "yes." : "no.");
  } else if (!b) {
    tr = "Incident report about " + emp + ", reported by " + rep + ". On " + say(d, fam, r) + " there was " + inc.second +
         " in " + loc + ". This is a " + inc.first + " matter. The witness was " + w1 + ". We " + act + ". " +
         (fu ? "A follow up is required." : "No follow up is required.");
  } else {
    tr = "Manager: " + rep + " came to me about " + emp + ".\nManager: It happened on " + say(d, fam, r) + " in " + loc +
         ": " + inc.second + ". I'd class it as " + inc.first + ".\nManager: " + w1 + " saw it. So far we " + act +
         ".\nManager: " + (fu ? "We will need to follow this up next month." : "There's no need to follow up on this.");
  }
  json::Value wit = json::Value::array();
  wit.push_back(json::Value(w1));
  json::Value note = json::Value::object();
  note.set("employee", json::Value(emp));
  note.set("reported_by", json::Value(rep));
  note.set("incident_date", json::Value(iso(d)));
  note.set("location", json::Value(loc));
  note.set("category", json::Value(inc.first));
  note.set("description", json::Value(inc.second));
  note.set("witnesses", wit);
  note.set("actions_taken", json::Value(act));
  note.set("follow_up_required", json::Value(fu));
  cases.push_back({"hr", tr, note});
  inj.push_back({"wrong date", "/incident_date", tr, with(note, "incident_date", json::Value(iso(other_date(d, r))))});
  std::string wrong;
  do wrong = r.pick(std::vector<std::string>{"conduct", "safety", "harassment", "attendance", "performance"}); while (wrong == inc.first);
  inj.push_back({"wrong enum", "/category", tr, with(note, "category", json::Value(wrong))});
  inj.push_back({"flipped boolean", "/follow_up_required", tr, with(note, "follow_up_required", json::Value(!fu))});
  json::Value more = wit;
  std::string inv;
  do inv = person((fam + 1) % 6, r); while (tr.find(inv) != std::string::npos);
  more.push_back(json::Value(inv));
  inj.push_back({"invented fact", "/witnesses/1", tr, with(note, "witnesses", more)});
}

void legal(int fam, Rng& r, std::vector<Case>& cases, std::vector<Injected>& inj) {
  const bool b = fam == 1;
  const std::string client = person(fam, r), lawyer = person(fam, r);
  const Date d = some_date(r);
  const std::string matter = r.pick(fam6(fam, {"a divorce settlement", "a lease renewal"}, {"a boundary dispute", "an unfair dismissal claim"},
                                         {"a probate dispute", "a tenancy deposit claim"}, {"a contested will", "a noise nuisance complaint"},
                                         {"a disputed invoice", "a planning appeal"}, {"a neighbour's extension", "a wrongful dismissal"}));
  const std::string step = r.pick(fam6(fam, {"file the claim form", "gather the bank statements"},
                                       {"write to the neighbour's solicitor", "request the employment contract"},
                                       {"apply for probate", "send a letter before action"},
                                       {"draft a witness statement", "chase the council for a reply"},
                                       {"review the contract terms", "lodge the appeal form"},
                                       {"request the planning file", "prepare the tribunal claim"}));
  const int minutes = r.in(2, 12) * 5;
  std::string tr;
  int minutes_first = minutes;
  if (fam == 5) {
    do minutes_first = r.in(2, 12) * 5; while (minutes_first == minutes);
    tr = "Lawyer: Right, " + client + ", it's " + say(d, fam, r) + ". My trainee " + lawyer + " is joining us.\nClient: Great. So it's about " +
         matter + ".\nLawyer: I'll " + step + ".\nLawyer: We've been at it " + std::to_string(minutes_first) + " minutes, sorry, " +
         std::to_string(minutes) + " minutes.";
  } else if (fam == 4) {
    tr = "Lawyer: Um, so for my notes, today is " + say(d, fam, r) + " and I'm meeting " + client + ". My colleague " + lawyer +
         " is here too.\nClient: Thanks. It's about " + matter + ".\nLawyer: Right. The next thing is to " + step +
         ".\nLawyer: We've been talking for " + std::to_string(minutes) + " minutes, so I'll note that.";
  } else if (fam == 3) {
    tr = "Solicitor: Notes of a call with " + client + " on " + say(d, fam, r) + "; " + lawyer + " also on the line.\nClient: It's regarding " +
         matter + ".\nSolicitor: What I'll do next is " + step + ".\nSolicitor: Call length " + std::to_string(minutes) + " minutes.";
  } else if (fam == 2) {
    tr = "Solicitor: Attendance note, " + say(d, fam, r) + ". Present: " + client + " and me, " + lawyer + ".\nClient: I need help with " +
         matter + ".\nSolicitor: Action: I will " + step + ".\nSolicitor: Time engaged: " + std::to_string(minutes) + " mins.";
  } else if (!b) {
    tr = "Lawyer: This is a meeting on " + say(d, fam, r) + " with " + client + " and " + lawyer + ".\nClient: I've come about " +
         matter + ".\nLawyer: We will " + step + ".\nLawyer: For the record we spent " + std::to_string(minutes) + " minutes.";
  } else {
    tr = "Lawyer: Good morning " + client + ", I'm " + lawyer + ". For the file, today is " + say(d, fam, r) + ".\nClient: It's about " +
         matter + ".\nLawyer: My next step is to " + step + ".\nLawyer: That took us about " + words_of(minutes) + " minutes.";
  }
  json::Value att = json::Value::array();
  att.push_back(json::Value(client));
  att.push_back(json::Value(lawyer));
  json::Value steps = json::Value::array();
  steps.push_back(json::Value(step));
  json::Value note = json::Value::object();
  note.set("client", json::Value(client));
  note.set("matter", json::Value(matter));
  note.set("date", json::Value(iso(d)));
  note.set("attendees", att);
  note.set("next_steps", steps);
  note.set("time_spent_minutes", json::Value(int64_t(minutes)));
  cases.push_back({"legal", tr, note});
  inj.push_back({"changed number", "/time_spent_minutes", tr, with(note, "time_spent_minutes", json::Value(int64_t(minutes + 5 * r.in(1, 4))))});
  inj.push_back({"wrong date", "/date", tr, with(note, "date", json::Value(iso(other_date(d, r))))});
  if (fam == 5) inj.push_back({"corrected value", "/time_spent_minutes", tr, with(note, "time_spent_minutes", json::Value(int64_t(minutes_first)))});
  json::Value more = steps;
  more.push_back(json::Value(r.pick(std::vector<std::string>{"instruct a barrister", "apply for an injunction"})));
  inj.push_back({"invented fact", "/next_steps/1", tr, with(note, "next_steps", more)});
}

// ---- the evaluation -------------------------------------------------------------------------------------------

struct Tally {
  int n = 0, tp = 0, fp = 0, not_checked = 0;
};
struct Result {
  std::map<std::string, Tally> kinds;
  Tally clean, all;
  std::vector<std::string> misses;  // a few examples, for the log
};

Result evaluate(int fam, uint64_t seed0, int n_seeds) {
  std::map<std::string, json::Value> schemas;
  for (const char* t : {"soap", "finance", "hr", "legal"}) schemas[t] = load_template(t, {kRoot}).schema;
  schemas["obs"] = json::parse(kObsSchema, "observations schema");
  Result res;
  for (int i = 0; i < n_seeds; i++) {
    Rng r{seed0 + uint64_t(i) * 7919};
    std::vector<Case> cases;
    std::vector<Injected> inj;
    const std::function<void(int, Rng&, std::vector<Case>&, std::vector<Injected>&)> gens[] = {soap, obs, finance, hr, legal};
    gens[i % 5](fam, r, cases, inj);
    for (const Case& c : cases) {
      for (const FieldSupport& f : check_support(c.note, c.transcript, &schemas[c.tmpl])) {
        res.clean.n++;
        if (f.flagged) {
          res.clean.fp++;
          if (res.misses.size() < 12 || getenv("EVAL_ALL")) res.misses.push_back("false flag " + f.path + ": " + join(f.unsupported) + " | " + c.transcript);
        }
        if (!f.checked) res.clean.not_checked++;
      }
    }
    for (const Injected& in : inj) {
      const std::string tmpl = cases.front().tmpl;
      Tally& k = res.kinds[in.kind];
      k.n++;
      bool hit = false;
      for (const FieldSupport& f : check_support(in.note, in.transcript, &schemas[tmpl])) {
        if (f.path == in.path) {
          hit = f.flagged;
          k.not_checked += f.checked ? 0 : 1;
        } else if (f.flagged && f.path != in.also) {
          k.fp++;
          if (res.misses.size() < 12 || getenv("EVAL_ALL")) res.misses.push_back("false flag (" + in.kind + ") " + f.path + ": " + join(f.unsupported));
        }
      }
      k.tp += hit ? 1 : 0;
      if (!hit && (res.misses.size() < 12 || getenv("EVAL_ALL"))) res.misses.push_back("missed " + in.kind + " " + in.path + " = " + json::dump(*in.note.find(in.path.substr(1, in.path.find('/', 1) - 1))) + " | " + in.transcript);
    }
  }
  for (const auto& [kind, t] : res.kinds) res.all.n += t.n, res.all.tp += t.tp, res.all.fp += t.fp, res.all.not_checked += t.not_checked;
  res.all.fp += res.clean.fp;
  return res;
}

double recall(const Tally& t) { return t.n ? double(t.tp) / t.n : 1.0; }
double precision(const Tally& t) { return t.tp + t.fp ? double(t.tp) / (t.tp + t.fp) : 1.0; }

void print(const char* title, const Result& r) {
  std::printf("\n%s\n| kind | injected | flagged | recall | false flags | precision | not checked |\n|---|---|---|---|---|---|---|\n", title);
  for (const auto& [kind, t] : r.kinds) {
    std::printf("| %s | %d | %d | %.3f | %d | %.3f | %d |\n", kind.c_str(), t.n, t.tp, recall(t), t.fp, precision(t), t.not_checked);
  }
  std::printf("| clean notes (values) | %d | - | - | %d | - | %d |\n", r.clean.n, r.clean.fp, r.clean.not_checked);
  std::printf("| **all** | %d | %d | **%.3f** | %d | **%.3f** | %d |\n", r.all.n, r.all.tp, recall(r.all), r.all.fp,
              precision(r.all), r.all.not_checked);
  for (const auto& m : r.misses) std::printf("  %s\n", m.c_str());
}

TEST(ScribeCheckEval, TuningFamilyA) {
  const Result r = evaluate(0, 1, 200);
  print("Family A (tuning; seeds 1..200)", r);
  EXPECT_GE(recall(r.all), 0.95);
  EXPECT_GE(precision(r.all), 0.9);
}

TEST(ScribeCheckEval, TuningFamilyB) {
  const Result r = evaluate(1, 1001, 200);
  print("Family B (held out at first, then tuned on; seeds 1001..1200)", r);
  EXPECT_GE(recall(r.all), 0.95);
  EXPECT_GE(precision(r.all), 0.9);
}

TEST(ScribeCheckEval, TuningFamilyC) {
  const Result r = evaluate(2, 2001, 200);
  print("Family C (held out at first, then tuned on; seeds 2001..2200)", r);
  EXPECT_GE(recall(r.all), 0.95);
  EXPECT_GE(precision(r.all), 0.9);
}

TEST(ScribeCheckEval, TuningFamilyD) {
  const Result r = evaluate(3, 3001, 200);
  print("Family D (held out at first, then tuned on; seeds 3001..3200)", r);
  EXPECT_GE(recall(r.all), 0.95);
  EXPECT_GE(precision(r.all), 0.9);
}

TEST(ScribeCheckEval, HeldOutFamilyE) {
  const Result r = evaluate(4, 4001, 200);
  print("Family E (held out; seeds 4001..4200)", r);
  for (const auto& [kind, t] : r.kinds) {
    EXPECT_GE(recall(t), 0.95) << kind;
    EXPECT_GE(precision(t), 0.9) << kind;
  }
  EXPECT_GE(recall(r.all), 0.95);
  EXPECT_GE(precision(r.all), 0.9);
}

// Family F: consultations with small talk and spoken corrections ("250 mg, actually make that 500 mg"), and one
// more kind of error: the value said first and then corrected.
TEST(ScribeCheckEval, HeldOutFamilyF) {
  const Result r = evaluate(5, 5001, 200);
  print("Family F (held out; corrections; seeds 5001..5200)", r);
  for (const auto& [kind, t] : r.kinds) {
    EXPECT_GE(recall(t), 0.95) << kind;
    EXPECT_GE(precision(t), 0.9) << kind;
  }
  EXPECT_GE(recall(r.all), 0.95);
  EXPECT_GE(precision(r.all), 0.9);
}

}  // namespace
