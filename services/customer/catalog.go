package customer

// Template ids on SkyFly's allow-list.
const (
	TemplateBookingHeld          = "booking_held"
	TemplateBookingConfirmed     = "booking_confirmed"
	TemplateBookingPaymentFailed = "booking_payment_failed"
	TemplateBookingHoldExpiring  = "booking_hold_expiring"
	TemplateBookingExpired       = "booking_expired"
	TemplateBookingCancelled     = "booking_cancelled"
	TemplateBookingRefunded      = "booking_refunded"
	TemplateBookingChanged       = "booking_changed"
	TemplateBookingFailed        = "booking_failed"
	TemplateBookingRebooked      = "booking_rebooked"
	TemplateBookingDisrupted     = "booking_disrupted"
	TemplateBookingRetimed       = "booking_retimed"
	TemplateBookingUnderReview   = "booking_under_review"
	TemplatePhoneVerification    = "phone_verification"
	TemplateMarketingOffer       = "marketing_offer"
)

// Optional data of the booking templates (rendered when present): givenName,
// total, holdExpiresAt, refund, flights, reason, manageUrl. Every booking
// template requires pnr.
const greetEN = `{{with index . "givenName"}}Hello {{.}},{{else}}Hello,{{end}}`
const greetDE = `{{with index . "givenName"}}Hallo {{.}},{{else}}Hallo,{{end}}`
const htmlGreetEN = `<p>{{with index . "givenName"}}Hello {{.}},{{else}}Hello,{{end}}</p>`
const htmlGreetDE = `<p>{{with index . "givenName"}}Hallo {{.}},{{else}}Hallo,{{end}}</p>`
const flightsEN = `{{with index . "flights"}}
Flights: {{.}}{{end}}`
const flightsDE = `{{with index . "flights"}}
Flüge: {{.}}{{end}}`
const htmlFlightsEN = `{{with index . "flights"}}<p>Flights: {{.}}</p>{{end}}`
const htmlFlightsDE = `{{with index . "flights"}}<p>Flüge: {{.}}</p>{{end}}`
const manageEN = `{{with index . "manageUrl"}}
Manage your booking: {{.}}{{end}}`
const manageDE = `{{with index . "manageUrl"}}
Buchung verwalten: {{.}}{{end}}`
const htmlManageEN = `{{with index . "manageUrl"}}<p><a href="{{.}}">Manage your booking</a></p>{{end}}`
const htmlManageDE = `{{with index . "manageUrl"}}<p><a href="{{.}}">Buchung verwalten</a></p>{{end}}`

func booking(id string, en, de TemplateText) TemplateDef {
	wrap := func(t TemplateText, greet, htmlGreet, flights, htmlFlights, manage, htmlManage string) TemplateText {
		return TemplateText{
			Subject: t.Subject,
			Text:    greet + "\n\n" + t.Text + flights + manage + "\n",
			HTML:    htmlGreet + t.HTML + htmlFlights + htmlManage,
			Short:   t.Short,
		}
	}
	return TemplateDef{
		ID:       id,
		Category: CategoryTransactional,
		Channels: []Channel{ChannelEmail, ChannelSMS, ChannelPush},
		Required: []string{"pnr"},
		Texts: map[string]TemplateText{
			"en": wrap(en, greetEN, htmlGreetEN, flightsEN, htmlFlightsEN, manageEN, htmlManageEN),
			"de": wrap(de, greetDE, htmlGreetDE, flightsDE, htmlFlightsDE, manageDE, htmlManageDE),
		},
	}
}

// Catalog returns the definitions of every SkyFly template: the booking
// events of the sagas, phone verification and a marketing offer, each in
// English and German.
func Catalog() []TemplateDef {
	return []TemplateDef{
		booking(TemplateBookingHeld,
			TemplateText{
				Subject: `Your seats are held: booking {{.pnr}}`,
				Text:    `We are holding your seats for booking {{.pnr}}{{with index . "holdExpiresAt"}} until {{.}}{{end}}.{{with index . "total"}} Total: {{.}}.{{end}} Complete the payment to confirm it.`,
				HTML:    `<p>We are holding your seats for booking <strong>{{.pnr}}</strong>{{with index . "holdExpiresAt"}} until {{.}}{{end}}.{{with index . "total"}} Total: {{.}}.{{end}}</p><p>Complete the payment to confirm it.</p>`,
				Short:   `SkyFly: seats held for booking {{.pnr}}{{with index . "holdExpiresAt"}} until {{.}}{{end}}.`,
			},
			TemplateText{
				Subject: `Ihre Plätze sind reserviert: Buchung {{.pnr}}`,
				Text:    `Wir halten Ihre Plätze für die Buchung {{.pnr}}{{with index . "holdExpiresAt"}} bis {{.}}{{end}}.{{with index . "total"}} Gesamtpreis: {{.}}.{{end}} Schließen Sie die Zahlung ab, um sie zu bestätigen.`,
				HTML:    `<p>Wir halten Ihre Plätze für die Buchung <strong>{{.pnr}}</strong>{{with index . "holdExpiresAt"}} bis {{.}}{{end}}.{{with index . "total"}} Gesamtpreis: {{.}}.{{end}}</p><p>Schließen Sie die Zahlung ab, um sie zu bestätigen.</p>`,
				Short:   `SkyFly: Plätze für Buchung {{.pnr}} reserviert{{with index . "holdExpiresAt"}} bis {{.}}{{end}}.`,
			}),
		booking(TemplateBookingConfirmed,
			TemplateText{
				Subject: `Booking confirmed: {{.pnr}}`,
				Text:    `Your booking {{.pnr}} is confirmed.{{with index . "total"}} You paid {{.}}.{{end}}{{with index . "tickets"}} E-tickets: {{.}}.{{end}} Have a good flight!`,
				HTML:    `<p>Your booking <strong>{{.pnr}}</strong> is confirmed.{{with index . "total"}} You paid {{.}}.{{end}}</p>{{with index . "tickets"}}<p>E-tickets: {{.}}</p>{{end}}<p>Have a good flight!</p>`,
				Short:   `SkyFly: booking {{.pnr}} is confirmed. Have a good flight!`,
			},
			TemplateText{
				Subject: `Buchung bestätigt: {{.pnr}}`,
				Text:    `Ihre Buchung {{.pnr}} ist bestätigt.{{with index . "total"}} Sie haben {{.}} bezahlt.{{end}}{{with index . "tickets"}} E-Tickets: {{.}}.{{end}} Guten Flug!`,
				HTML:    `<p>Ihre Buchung <strong>{{.pnr}}</strong> ist bestätigt.{{with index . "total"}} Sie haben {{.}} bezahlt.{{end}}</p>{{with index . "tickets"}}<p>E-Tickets: {{.}}</p>{{end}}<p>Guten Flug!</p>`,
				Short:   `SkyFly: Buchung {{.pnr}} ist bestätigt. Guten Flug!`,
			}),
		booking(TemplateBookingPaymentFailed,
			TemplateText{
				Subject: `Payment failed for booking {{.pnr}}`,
				Text:    `The payment for booking {{.pnr}} did not go through{{with index . "reason"}} ({{.}}){{end}}. Your seats stay held{{with index . "holdExpiresAt"}} until {{.}}{{end}}; please try another payment method.`,
				HTML:    `<p>The payment for booking <strong>{{.pnr}}</strong> did not go through{{with index . "reason"}} ({{.}}){{end}}.</p><p>Your seats stay held{{with index . "holdExpiresAt"}} until {{.}}{{end}}; please try another payment method.</p>`,
				Short:   `SkyFly: payment for booking {{.pnr}} failed. Please try another payment method.`,
			},
			TemplateText{
				Subject: `Zahlung für Buchung {{.pnr}} fehlgeschlagen`,
				Text:    `Die Zahlung für die Buchung {{.pnr}} ist fehlgeschlagen{{with index . "reason"}} ({{.}}){{end}}. Ihre Plätze bleiben reserviert{{with index . "holdExpiresAt"}} bis {{.}}{{end}}; bitte versuchen Sie eine andere Zahlungsart.`,
				HTML:    `<p>Die Zahlung für die Buchung <strong>{{.pnr}}</strong> ist fehlgeschlagen{{with index . "reason"}} ({{.}}){{end}}.</p><p>Ihre Plätze bleiben reserviert{{with index . "holdExpiresAt"}} bis {{.}}{{end}}; bitte versuchen Sie eine andere Zahlungsart.</p>`,
				Short:   `SkyFly: Zahlung für Buchung {{.pnr}} fehlgeschlagen. Bitte andere Zahlungsart versuchen.`,
			}),
		booking(TemplateBookingHoldExpiring,
			TemplateText{
				Subject: `Your hold on booking {{.pnr}} expires soon`,
				Text:    `Your seats for booking {{.pnr}} are held only{{with index . "holdExpiresAt"}} until {{.}}{{else}} a few more minutes{{end}}. Pay now to keep them.`,
				HTML:    `<p>Your seats for booking <strong>{{.pnr}}</strong> are held only{{with index . "holdExpiresAt"}} until {{.}}{{else}} a few more minutes{{end}}.</p><p>Pay now to keep them.</p>`,
				Short:   `SkyFly: your hold on booking {{.pnr}} expires soon. Pay now to keep your seats.`,
			},
			TemplateText{
				Subject: `Ihre Reservierung {{.pnr}} läuft bald ab`,
				Text:    `Ihre Plätze für die Buchung {{.pnr}} sind nur noch{{with index . "holdExpiresAt"}} bis {{.}}{{else}} wenige Minuten{{end}} reserviert. Zahlen Sie jetzt, um sie zu behalten.`,
				HTML:    `<p>Ihre Plätze für die Buchung <strong>{{.pnr}}</strong> sind nur noch{{with index . "holdExpiresAt"}} bis {{.}}{{else}} wenige Minuten{{end}} reserviert.</p><p>Zahlen Sie jetzt, um sie zu behalten.</p>`,
				Short:   `SkyFly: Ihre Reservierung {{.pnr}} läuft bald ab. Jetzt zahlen, um die Plätze zu behalten.`,
			}),
		booking(TemplateBookingExpired,
			TemplateText{
				Subject: `Booking {{.pnr}} expired`,
				Text:    `The hold on booking {{.pnr}} expired before payment, so the seats were released. You have not been charged.`,
				HTML:    `<p>The hold on booking <strong>{{.pnr}}</strong> expired before payment, so the seats were released.</p><p>You have not been charged.</p>`,
				Short:   `SkyFly: booking {{.pnr}} expired; the seats were released. You have not been charged.`,
			},
			TemplateText{
				Subject: `Buchung {{.pnr}} abgelaufen`,
				Text:    `Die Reservierung der Buchung {{.pnr}} ist vor der Zahlung abgelaufen; die Plätze wurden freigegeben. Ihnen wurde nichts berechnet.`,
				HTML:    `<p>Die Reservierung der Buchung <strong>{{.pnr}}</strong> ist vor der Zahlung abgelaufen; die Plätze wurden freigegeben.</p><p>Ihnen wurde nichts berechnet.</p>`,
				Short:   `SkyFly: Buchung {{.pnr}} abgelaufen; die Plätze wurden freigegeben. Ihnen wurde nichts berechnet.`,
			}),
		booking(TemplateBookingCancelled,
			TemplateText{
				Subject: `Booking {{.pnr}} cancelled`,
				Text:    `Your booking {{.pnr}} is cancelled.{{with index . "refund"}} We are refunding {{.}} to your original payment method.{{end}}`,
				HTML:    `<p>Your booking <strong>{{.pnr}}</strong> is cancelled.</p>{{with index . "refund"}}<p>We are refunding {{.}} to your original payment method.</p>{{end}}`,
				Short:   `SkyFly: booking {{.pnr}} is cancelled.{{with index . "refund"}} Refund: {{.}}.{{end}}`,
			},
			TemplateText{
				Subject: `Buchung {{.pnr}} storniert`,
				Text:    `Ihre Buchung {{.pnr}} ist storniert.{{with index . "refund"}} Wir erstatten {{.}} auf Ihr ursprüngliches Zahlungsmittel.{{end}}`,
				HTML:    `<p>Ihre Buchung <strong>{{.pnr}}</strong> ist storniert.</p>{{with index . "refund"}}<p>Wir erstatten {{.}} auf Ihr ursprüngliches Zahlungsmittel.</p>{{end}}`,
				Short:   `SkyFly: Buchung {{.pnr}} ist storniert.{{with index . "refund"}} Erstattung: {{.}}.{{end}}`,
			}),
		booking(TemplateBookingRefunded,
			TemplateText{
				Subject: `Refund issued for booking {{.pnr}}`,
				Text:    `We have refunded{{with index . "refund"}} {{.}}{{end}} for booking {{.pnr}}. It can take a few days to appear on your statement.`,
				HTML:    `<p>We have refunded{{with index . "refund"}} {{.}}{{end}} for booking <strong>{{.pnr}}</strong>.</p><p>It can take a few days to appear on your statement.</p>`,
				Short:   `SkyFly: refund{{with index . "refund"}} of {{.}}{{end}} issued for booking {{.pnr}}.`,
			},
			TemplateText{
				Subject: `Erstattung für Buchung {{.pnr}}`,
				Text:    `Wir haben{{with index . "refund"}} {{.}}{{end}} für die Buchung {{.pnr}} erstattet. Es kann einige Tage dauern, bis der Betrag auf Ihrer Abrechnung erscheint.`,
				HTML:    `<p>Wir haben{{with index . "refund"}} {{.}}{{end}} für die Buchung <strong>{{.pnr}}</strong> erstattet.</p><p>Es kann einige Tage dauern, bis der Betrag auf Ihrer Abrechnung erscheint.</p>`,
				Short:   `SkyFly: Erstattung{{with index . "refund"}} von {{.}}{{end}} für Buchung {{.pnr}} veranlasst.`,
			}),
		booking(TemplateBookingChanged,
			TemplateText{
				Subject: `Booking {{.pnr}} changed`,
				Text:    `Your booking {{.pnr}} was changed{{with index . "reason"}} ({{.}}){{end}}. Your new itinerary is below.{{with index . "total"}} Amount settled: {{.}}.{{end}}`,
				HTML:    `<p>Your booking <strong>{{.pnr}}</strong> was changed{{with index . "reason"}} ({{.}}){{end}}. Your new itinerary is below.{{with index . "total"}} Amount settled: {{.}}.{{end}}</p>`,
				Short:   `SkyFly: booking {{.pnr}} was changed. Check your email for the new itinerary.`,
			},
			TemplateText{
				Subject: `Buchung {{.pnr}} geändert`,
				Text:    `Ihre Buchung {{.pnr}} wurde geändert{{with index . "reason"}} ({{.}}){{end}}. Ihr neuer Reiseplan steht unten.{{with index . "total"}} Verrechneter Betrag: {{.}}.{{end}}`,
				HTML:    `<p>Ihre Buchung <strong>{{.pnr}}</strong> wurde geändert{{with index . "reason"}} ({{.}}){{end}}. Ihr neuer Reiseplan steht unten.{{with index . "total"}} Verrechneter Betrag: {{.}}.{{end}}</p>`,
				Short:   `SkyFly: Buchung {{.pnr}} wurde geändert. Den neuen Reiseplan finden Sie in Ihrer E-Mail.`,
			}),
		booking(TemplateBookingRebooked,
			TemplateText{
				Subject: `Your flight changed: booking {{.pnr}} is rebooked`,
				Text:    `Your flight was {{with index . "disruption"}}{{.}}{{else}}disrupted{{end}}{{with index . "reason"}} ({{.}}){{end}}, so we moved booking {{.pnr}} to the itinerary below at no cost. Nothing to do if it suits you; otherwise choose another flight free of charge or cancel for a full refund.`,
				HTML:    `<p>Your flight was {{with index . "disruption"}}{{.}}{{else}}disrupted{{end}}{{with index . "reason"}} ({{.}}){{end}}, so we moved booking <strong>{{.pnr}}</strong> to the itinerary below at no cost.</p><p>Nothing to do if it suits you; otherwise choose another flight free of charge or cancel for a full refund.</p>`,
				Short:   `SkyFly: your flight changed; booking {{.pnr}} is rebooked at no cost. Check your email.`,
			},
			TemplateText{
				Subject: `Ihr Flug hat sich geändert: Buchung {{.pnr}} umgebucht`,
				Text:    `Ihr Flug wurde {{with index . "disruption"}}{{.}}{{else}}geändert{{end}}{{with index . "reason"}} ({{.}}){{end}}; wir haben die Buchung {{.pnr}} kostenlos auf den folgenden Reiseplan umgebucht. Passt er nicht, wählen Sie kostenlos einen anderen Flug oder stornieren Sie mit voller Erstattung.`,
				HTML:    `<p>Ihr Flug wurde {{with index . "disruption"}}{{.}}{{else}}geändert{{end}}{{with index . "reason"}} ({{.}}){{end}}; wir haben die Buchung <strong>{{.pnr}}</strong> kostenlos auf den folgenden Reiseplan umgebucht.</p><p>Passt er nicht, wählen Sie kostenlos einen anderen Flug oder stornieren Sie mit voller Erstattung.</p>`,
				Short:   `SkyFly: Ihr Flug hat sich geändert; Buchung {{.pnr}} kostenlos umgebucht. Details per E-Mail.`,
			}),
		booking(TemplateBookingDisrupted,
			TemplateText{
				Subject: `Your flight is cancelled: booking {{.pnr}}`,
				Text:    `Your flight was cancelled{{with index . "reason"}} ({{.}}){{end}} and no other flight has room for booking {{.pnr}} yet. An agent is working on it and will contact you; you can also cancel for a full refund.`,
				HTML:    `<p>Your flight was cancelled{{with index . "reason"}} ({{.}}){{end}} and no other flight has room for booking <strong>{{.pnr}}</strong> yet.</p><p>An agent is working on it and will contact you; you can also cancel for a full refund.</p>`,
				Short:   `SkyFly: your flight for booking {{.pnr}} is cancelled. An agent will contact you.`,
			},
			TemplateText{
				Subject: `Ihr Flug ist annulliert: Buchung {{.pnr}}`,
				Text:    `Ihr Flug wurde annulliert{{with index . "reason"}} ({{.}}){{end}}, und noch hat kein anderer Flug Platz für die Buchung {{.pnr}}. Ein Mitarbeiter kümmert sich darum und meldet sich; Sie können auch mit voller Erstattung stornieren.`,
				HTML:    `<p>Ihr Flug wurde annulliert{{with index . "reason"}} ({{.}}){{end}}, und noch hat kein anderer Flug Platz für die Buchung <strong>{{.pnr}}</strong>.</p><p>Ein Mitarbeiter kümmert sich darum und meldet sich; Sie können auch mit voller Erstattung stornieren.</p>`,
				Short:   `SkyFly: Ihr Flug für Buchung {{.pnr}} ist annulliert. Wir melden uns.`,
			}),
		booking(TemplateBookingUnderReview,
			TemplateText{
				Subject: `We are looking into booking {{.pnr}}`,
				Text:    `Something went wrong while we completed a step of booking {{.pnr}}. An agent is looking into it and nothing more is charged meanwhile; we will tell you when it is settled.`,
				HTML:    `<p>Something went wrong while we completed a step of booking <strong>{{.pnr}}</strong>. An agent is looking into it and nothing more is charged meanwhile; we will tell you when it is settled.</p>`,
				Short:   `SkyFly: we are looking into booking {{.pnr}}; an agent will get back to you.`,
			},
			TemplateText{
				Subject: `Wir prüfen Buchung {{.pnr}}`,
				Text:    `Bei einem Schritt der Buchung {{.pnr}} ist etwas schiefgegangen. Ein Mitarbeiter kümmert sich darum, in der Zwischenzeit wird nichts weiter belastet; wir melden uns, sobald es geklärt ist.`,
				HTML:    `<p>Bei einem Schritt der Buchung <strong>{{.pnr}}</strong> ist etwas schiefgegangen. Ein Mitarbeiter kümmert sich darum, in der Zwischenzeit wird nichts weiter belastet; wir melden uns, sobald es geklärt ist.</p>`,
				Short:   `SkyFly: wir prüfen Buchung {{.pnr}}; ein Mitarbeiter meldet sich.`,
			}),
		booking(TemplateBookingRetimed,
			TemplateText{
				Subject: `New flight times for booking {{.pnr}}`,
				Text:    `A flight of booking {{.pnr}} was retimed{{with index . "reason"}} ({{.}}){{end}}; your itinerary still connects. The new times are below.`,
				HTML:    `<p>A flight of booking <strong>{{.pnr}}</strong> was retimed{{with index . "reason"}} ({{.}}){{end}}; your itinerary still connects. The new times are below.</p>`,
				Short:   `SkyFly: new flight times for booking {{.pnr}}. Check your email.`,
			},
			TemplateText{
				Subject: `Neue Flugzeiten für Buchung {{.pnr}}`,
				Text:    `Ein Flug der Buchung {{.pnr}} hat neue Zeiten{{with index . "reason"}} ({{.}}){{end}}; Ihre Verbindung bleibt erreichbar. Die neuen Zeiten stehen unten.`,
				HTML:    `<p>Ein Flug der Buchung <strong>{{.pnr}}</strong> hat neue Zeiten{{with index . "reason"}} ({{.}}){{end}}; Ihre Verbindung bleibt erreichbar. Die neuen Zeiten stehen unten.</p>`,
				Short:   `SkyFly: neue Flugzeiten für Buchung {{.pnr}}. Details per E-Mail.`,
			}),
		booking(TemplateBookingFailed,
			TemplateText{
				Subject: `We could not complete booking {{.pnr}}`,
				Text:    `We could not complete booking {{.pnr}}{{with index . "reason"}} ({{.}}){{end}}. Any payment authorization was released and you have not been charged.`,
				HTML:    `<p>We could not complete booking <strong>{{.pnr}}</strong>{{with index . "reason"}} ({{.}}){{end}}.</p><p>Any payment authorization was released and you have not been charged.</p>`,
				Short:   `SkyFly: booking {{.pnr}} could not be completed. You have not been charged.`,
			},
			TemplateText{
				Subject: `Buchung {{.pnr}} konnte nicht abgeschlossen werden`,
				Text:    `Wir konnten die Buchung {{.pnr}} nicht abschließen{{with index . "reason"}} ({{.}}){{end}}. Eine Zahlungsautorisierung wurde freigegeben; Ihnen wurde nichts berechnet.`,
				HTML:    `<p>Wir konnten die Buchung <strong>{{.pnr}}</strong> nicht abschließen{{with index . "reason"}} ({{.}}){{end}}.</p><p>Eine Zahlungsautorisierung wurde freigegeben; Ihnen wurde nichts berechnet.</p>`,
				Short:   `SkyFly: Buchung {{.pnr}} konnte nicht abgeschlossen werden. Ihnen wurde nichts berechnet.`,
			}),
		{
			ID:        TemplatePhoneVerification,
			Category:  CategorySecurity,
			Channels:  []Channel{ChannelSMS},
			Required:  []string{"code", "minutes"},
			Sensitive: []string{"code"},
			Texts: map[string]TemplateText{
				"en": {
					Subject: `Your SkyFly verification code`,
					Text:    "Your SkyFly verification code is {{.code}}. It expires in {{.minutes}} minutes. Never share it.\n",
					HTML:    `<p>Your SkyFly verification code is <strong>{{.code}}</strong>. It expires in {{.minutes}} minutes. Never share it.</p>`,
					Short:   `{{.code}} is your SkyFly verification code. It expires in {{.minutes}} minutes. Never share it.`,
				},
				"de": {
					Subject: `Ihr SkyFly-Bestätigungscode`,
					Text:    "Ihr SkyFly-Bestätigungscode ist {{.code}}. Er ist {{.minutes}} Minuten gültig. Geben Sie ihn niemals weiter.\n",
					HTML:    `<p>Ihr SkyFly-Bestätigungscode ist <strong>{{.code}}</strong>. Er ist {{.minutes}} Minuten gültig. Geben Sie ihn niemals weiter.</p>`,
					Short:   `{{.code}} ist Ihr SkyFly-Bestätigungscode. Er ist {{.minutes}} Minuten gültig. Niemals weitergeben.`,
				},
			},
		},
		{
			ID:       TemplateMarketingOffer,
			Category: CategoryMarketing,
			Channels: []Channel{ChannelEmail, ChannelSMS, ChannelPush},
			Required: []string{"headline", "body"},
			Texts: map[string]TemplateText{
				"en": {
					Subject: `{{.headline}}`,
					Text:    "{{.body}}\n\nYou receive this because you did not opt out of SkyFly offers. Change this in your profile preferences.\n",
					HTML:    `<h2>{{.headline}}</h2><p>{{.body}}</p><p style="font-size:12px">You receive this because you did not opt out of SkyFly offers. Change this in your profile preferences.</p>`,
					Short:   `SkyFly: {{.headline}}`,
				},
				"de": {
					Subject: `{{.headline}}`,
					Text:    "{{.body}}\n\nSie erhalten diese Nachricht, weil Sie SkyFly-Angebote nicht abbestellt haben. Ändern Sie dies in Ihren Profileinstellungen.\n",
					HTML:    `<h2>{{.headline}}</h2><p>{{.body}}</p><p style="font-size:12px">Sie erhalten diese Nachricht, weil Sie SkyFly-Angebote nicht abbestellt haben. Ändern Sie dies in Ihren Profileinstellungen.</p>`,
					Short:   `SkyFly: {{.headline}}`,
				},
			},
		},
	}
}
