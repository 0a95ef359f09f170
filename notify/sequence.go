package notify

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/uketsuke/uketsuke/reception"
)

// A sequence is several messages to one target that must arrive in order
// (a code, then its QR image, then the text to forward). The dispatcher
// sends entries concurrently, so a sequence is one outbox entry whose
// content is {"type":"x-uketsuke-seq","items":[…]}: sending it sends the
// first item, and its completion enqueues, in the same transaction, the
// entry of the rest. Each message is delivered like any other (retried,
// given up on), and none is sent before the one ahead of it went out.
const seqContentType = "x-uketsuke-seq"

type seqContent struct {
	Type  string            `json:"type"`
	Items []json.RawMessage `json:"items"`
}

// sequenceOf marshals items as one outbox content: a sequence, or the
// item itself when there is one.
func sequenceOf(items ...any) (json.RawMessage, error) {
	raws := make([]json.RawMessage, 0, len(items))
	for _, it := range items {
		raw, err := json.Marshal(it)
		if err != nil {
			return nil, err
		}
		raws = append(raws, raw)
	}
	if len(raws) == 1 {
		return raws[0], nil
	}
	return json.Marshal(seqContent{Type: seqContentType, Items: raws})
}

// seqOf splits a sequence's content into its first item and the rest; ok
// is false for any other content.
func seqOf(raw json.RawMessage) (first json.RawMessage, rest []json.RawMessage, ok bool) {
	if !bytes.Contains(raw, []byte(seqContentType)) {
		return nil, nil, false
	}
	var s seqContent
	if json.Unmarshal(raw, &s) != nil || s.Type != seqContentType || len(s.Items) == 0 {
		return nil, nil, false
	}
	return s.Items[0], s.Items[1:], true
}

// firstItem is the content to send for an entry: the first item of a
// sequence, else the content.
func firstItem(raw json.RawMessage) json.RawMessage {
	if first, _, ok := seqOf(raw); ok {
		return first
	}
	return raw
}

// nextInSequence is the entry of the rest of e's sequence, to enqueue with
// e's completion; nil when e is no sequence or its last item.
func (s *Service) nextInSequence(e *reception.OutboxEntry) *reception.OutboxEntry {
	_, rest, ok := seqOf(e.Content)
	if !ok || len(rest) == 0 {
		return nil
	}
	raw := rest[0]
	if len(rest) > 1 {
		var err error
		if raw, err = json.Marshal(seqContent{Type: seqContentType, Items: rest}); err != nil {
			return nil
		}
	}
	// The key counts down the items left, so each step is enqueued once.
	next := s.entry(e.OrgID, e.VisitID, e.Target, raw, e.DedupeKey+"/"+strconv.Itoa(len(rest)))
	return next
}
