package customer

import (
	"fmt"
	htmltemplate "html/template"
	"slices"
	"sort"
	"strings"
	texttemplate "text/template"
)

// Category classifies a template for opt-outs: transactional and security
// messages are always sent; marketing respects every opt-out.
type Category string

// Categories.
const (
	CategoryTransactional Category = "transactional"
	CategorySecurity      Category = "security"
	CategoryMarketing     Category = "marketing"
)

// Transactional reports whether opt-outs are ignored for the category.
func (c Category) Transactional() bool {
	return c == CategoryTransactional || c == CategorySecurity
}

// TemplateText is one language of a template, as template source.
type TemplateText struct {
	Subject string // text/template, email subject and push title
	Text    string // text/template, email plain-text body
	HTML    string // html/template, email HTML body (inside the layout)
	Short   string // text/template, SMS and push body
}

// TemplateDef is the source of a template on the allow-list.
type TemplateDef struct {
	ID       string
	Category Category
	Channels []Channel
	// Required data keys; rendering without them fails.
	Required []string
	// Sensitive data keys are redacted in the stored notification record.
	Sensitive []string
	// Texts by language; "en" is mandatory and the fallback.
	Texts map[string]TemplateText
}

// Rendered is a message rendered for one language.
type Rendered struct {
	Language string
	Subject  string
	Text     string
	HTML     string
	Short    string
}

type compiled struct {
	subject, text, short *texttemplate.Template
	html                 *htmltemplate.Template
}

// Template is a parsed template on the allow-list.
type Template struct {
	def   TemplateDef
	langs map[string]compiled
}

// ID returns the template id.
func (t *Template) ID() string { return t.def.ID }

// Category returns the template's category.
func (t *Template) Category() Category { return t.def.Category }

// Allows reports whether the template may be sent on ch.
func (t *Template) Allows(ch Channel) bool { return slices.Contains(t.def.Channels, ch) }

// Required returns the data keys the template needs.
func (t *Template) Required() []string { return slices.Clone(t.def.Required) }

// Redact returns a copy of data with the sensitive keys masked, for storing.
func (t *Template) Redact(data map[string]string) map[string]string {
	out := make(map[string]string, len(data))
	for k, v := range data {
		if slices.Contains(t.def.Sensitive, k) {
			v = "[redacted]"
		}
		out[k] = v
	}
	return out
}

// Render renders the template in lang (falling back to English) with data.
// It returns a *TemplateDataError when required data is missing or empty.
func (t *Template) Render(lang string, data map[string]string) (Rendered, error) {
	var missing []string
	for _, k := range t.def.Required {
		if strings.TrimSpace(data[k]) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return Rendered{}, &TemplateDataError{TemplateID: t.def.ID, Missing: missing}
	}
	c, ok := t.langs[lang]
	if !ok {
		lang = "en"
		c = t.langs[lang]
	}
	if data == nil {
		data = map[string]string{}
	}
	r := Rendered{Language: lang}
	var err error
	if r.Subject, err = execText(c.subject, data); err != nil {
		return Rendered{}, fmt.Errorf("render %s/%s subject: %w", t.def.ID, lang, err)
	}
	if r.Text, err = execText(c.text, data); err != nil {
		return Rendered{}, fmt.Errorf("render %s/%s text: %w", t.def.ID, lang, err)
	}
	if r.Short, err = execText(c.short, data); err != nil {
		return Rendered{}, fmt.Errorf("render %s/%s short: %w", t.def.ID, lang, err)
	}
	var b strings.Builder
	if err := c.html.ExecuteTemplate(&b, "layout", data); err != nil {
		return Rendered{}, fmt.Errorf("render %s/%s html: %w", t.def.ID, lang, err)
	}
	r.HTML = b.String()
	r.Subject = strings.TrimSpace(strings.ReplaceAll(r.Subject, "\n", " "))
	return r, nil
}

func execText(t *texttemplate.Template, data map[string]string) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Templates is the allow-list of notification templates.
type Templates struct {
	byID map[string]*Template
}

const htmlLayout = `{{define "layout"}}<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{template "subject" .}}</title></head>
<body style="font-family:sans-serif;color:#1a1a1a">
<h1 style="color:#0b4f8a">SkyFly</h1>
{{template "content" .}}
<p style="color:#777;font-size:12px">SkyFly</p>
</body></html>{{end}}`

// NewTemplates parses defs into an allow-list. Every template needs English
// text for every part, a category and at least one channel.
func NewTemplates(defs []TemplateDef) (*Templates, error) {
	ts := &Templates{byID: map[string]*Template{}}
	for _, d := range defs {
		if d.ID == "" || d.Category == "" || len(d.Channels) == 0 {
			return nil, fmt.Errorf("template %q: id, category and channels are required", d.ID)
		}
		if _, dup := ts.byID[d.ID]; dup {
			return nil, fmt.Errorf("template %q defined twice", d.ID)
		}
		if _, ok := d.Texts["en"]; !ok {
			return nil, fmt.Errorf("template %q has no English text", d.ID)
		}
		t := &Template{def: d, langs: map[string]compiled{}}
		for lang, tx := range d.Texts {
			name := d.ID + "/" + lang
			var c compiled
			var err error
			if c.subject, err = texttemplate.New(name + "/subject").Option("missingkey=error").Parse(tx.Subject); err != nil {
				return nil, fmt.Errorf("template %s subject: %w", name, err)
			}
			if c.text, err = texttemplate.New(name + "/text").Option("missingkey=error").Parse(tx.Text); err != nil {
				return nil, fmt.Errorf("template %s text: %w", name, err)
			}
			if c.short, err = texttemplate.New(name + "/short").Option("missingkey=error").Parse(tx.Short); err != nil {
				return nil, fmt.Errorf("template %s short: %w", name, err)
			}
			h := htmltemplate.New(name + "/html").Option("missingkey=error")
			if _, err = h.Parse(htmlLayout); err == nil {
				if _, err = h.New("subject").Parse(tx.Subject); err == nil {
					_, err = h.New("content").Parse(tx.HTML)
				}
			}
			if err != nil {
				return nil, fmt.Errorf("template %s html: %w", name, err)
			}
			c.html = h
			t.langs[lang] = c
		}
		ts.byID[d.ID] = t
	}
	return ts, nil
}

// Lookup returns the template with id, or ErrUnknownTemplate.
func (ts *Templates) Lookup(id string) (*Template, error) {
	t, ok := ts.byID[id]
	if !ok {
		return nil, fmt.Errorf("template %q: %w", id, ErrUnknownTemplate)
	}
	return t, nil
}

// IDs lists the allowed template ids, sorted.
func (ts *Templates) IDs() []string {
	ids := make([]string, 0, len(ts.byID))
	for id := range ts.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Languages lists the languages template id is written in, sorted.
func (ts *Templates) Languages(id string) []string {
	t, ok := ts.byID[id]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(t.langs))
	for l := range t.langs {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}
