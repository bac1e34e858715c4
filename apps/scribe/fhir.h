// fhir.h — a clinical note as HL7 FHIR R4: a document Bundle whose first entry is a Composition with one
// section per top-level field of the note (schema order), each with an XHTML narrative of its value.
// Sections of the SOAP template carry their LOINC section codes (the C-CDA ones: 61150-9 Subjective,
// 61149-1 Objective, 51848-0 Assessment, 18776-5 Plan of treatment, 10160-0 Medications); the document
// type is LOINC 11506-3 Progress note. Empty values give a section with emptyReason "unavailable" ("None
// recorded."); a null value (the model abstained: not stated in the transcript) says "Not stated." with the
// same emptyReason; a null inside an item reads "Dose: not stated".
// Ids and the timestamp come from the caller (the browser passes crypto.randomUUID() and the approval
// time), so the output is deterministic.
// Does not: patient or practitioner resources (a transcript names neither reliably: the author is a
// display-only reference), coded entries (the narrative is the content), validation against profiles.
#pragma once

#include <string>

#include "core/json.h"
#include "scribe/note.h"

namespace sotto {

struct FhirOptions {
  std::string bundle_id;       // UUID (lower-case hex with dashes)
  std::string composition_id;  // UUID
  std::string timestamp;       // FHIR instant: 2026-11-24T22:30:00Z
  std::string author = "Clinician (approved in Sotto)";
  std::string status = "final";  // preliminary | final | amended
};

// Throws Error when an id is not a UUID, the timestamp not an instant, or the note not an object.
json::Value note_to_fhir_bundle(const NoteTemplate& t, const json::Value& note, const FhirOptions& opt);

}  // namespace sotto
