package reading

// A decoder meets keys and tag values as bytes of the payload. Turning each
// into a string costs an allocation a key and a tag value per reading, for
// names that come from the schema or from a handful of meters, so a Builder
// hands back strings it already holds instead.

// TagName returns the schema's own string for the tag spelt key, or false
// when the stream has no such tag.
func (b *Builder) TagName(key []byte) (string, bool) {
	if i, ok := b.schema.tag(string(key)); ok {
		return b.schema.Tags[i].Name, true
	}
	return "", false
}

// FieldName returns the schema's own string for the field spelt key, or
// false when the stream has no such field.
func (b *Builder) FieldName(key []byte) (string, bool) {
	if i, ok := b.schema.field(string(key)); ok {
		return b.schema.Fields[i].Name, true
	}
	return "", false
}

// SetTagBytes is SetTag for a value still in the payload: an allowed value
// of an enumerated tag becomes the schema's string, and a free-form value
// seen lately the string made for it then.
func (b *Builder) SetTagBytes(key string, value []byte) {
	if b.err != nil {
		return
	}
	b.SetTag(key, b.tagValue(key, value))
}

func (b *Builder) tagValue(key string, value []byte) string {
	i, ok := b.schema.tag(key)
	if !ok {
		return string(value)
	}
	spec := &b.schema.Tags[i]
	if spec.Values == nil {
		if len(value) > maxNameLen {
			// Refused by SetTag anyway; not worth remembering.
			return string(value)
		}
		return b.recent[i].get(value)
	}
	for _, v := range spec.Values {
		if v == string(value) {
			return v
		}
	}
	return string(value)
}

// recentNames remembers the last few strings made from bytes. A batch of
// readings names one meter or a few, so a short list finds them where a map
// would cost more to hash than it saves, and a sender of ever new names
// only ever replaces the oldest.
type recentNames struct {
	names [8]string
	next  int
}

func (r *recentNames) get(b []byte) string {
	for _, s := range r.names {
		if s == string(b) {
			return s
		}
	}
	s := string(b)
	r.names[r.next] = s
	r.next = (r.next + 1) % len(r.names)
	return s
}
