"""What the firm tells people: the client register, versioned drafts, their gaps, template context and merged letters. Imports law/ and below."""
