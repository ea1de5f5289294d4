package main

import (
	"encoding/json"
	"fmt"
	"os"
	"unicode/utf8"
)

// presidio-research JSON: [{full_text, spans: [{entity_type, entity_value, start_position, end_position}]}].
// Offsets are Python code-point offsets; they are converted to byte offsets here. Only the pattern entity
// types are scored; the others (PERSON, ADDRESS, ...) need NER and are counted and ignored.
type presidioSample struct {
	FullText string `json:"full_text"`
	Spans    []struct {
		EntityType string `json:"entity_type"`
		Start      int    `json:"start_position"`
		End        int    `json:"end_position"`
	} `json:"spans"`
}

var presidioTypes = map[string]string{
	"EMAIL_ADDRESS": "email", "CREDIT_CARD": "card", "US_SSN": "ssn", "IP_ADDRESS": "ip", "IBAN_CODE": "iban", "PHONE_NUMBER": "phone",
}

func loadPresidio(path string) ([]sample, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	var raw []presidioSample
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	var out []sample
	ner := 0
	for _, r := range raw {
		// code point index -> byte offset
		offs := make([]int, 0, len(r.FullText)+1)
		for i := range r.FullText {
			offs = append(offs, i)
		}
		offs = append(offs, len(r.FullText))
		byteOff := func(cp int) int {
			if cp < 0 {
				return 0
			}
			if cp >= len(offs) {
				return len(r.FullText)
			}
			return offs[cp]
		}
		var gold []span
		for _, s := range r.Spans {
			typ, ok := presidioTypes[s.EntityType]
			if !ok {
				ner++
				continue
			}
			gold = append(gold, span{typ, byteOff(s.Start), byteOff(s.End)})
		}
		if !utf8.ValidString(r.FullText) {
			continue
		}
		out = append(out, sample{loc: "log_body", text: r.FullText, gold: gold})
		out = append(out, sample{loc: "span_attr", key: "app.note", text: r.FullText, gold: gold})
	}
	return out, ner, nil
}
