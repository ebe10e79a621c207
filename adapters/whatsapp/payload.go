package whatsapp

import "github.com/switchboard-chat/switchboard/adapters/meta"

// Object is the "object" of WhatsApp Business Account webhooks.
const Object = "whatsapp_business_account"

// payload is a webhook body.
type payload struct {
	Object string  `json:"object"`
	Entry  []entry `json:"entry"`
}

type entry struct {
	ID      meta.ID  `json:"id"`
	Changes []change `json:"changes"`
}

type change struct {
	Field string `json:"field"`
	Value value  `json:"value"`
}

type value struct {
	MessagingProduct string    `json:"messaging_product"`
	Metadata         metadata  `json:"metadata"`
	Contacts         []contact `json:"contacts"`
	Messages         []message `json:"messages"`
	Statuses         []status  `json:"statuses"`
	Errors           []apiErr  `json:"errors"`
}

type metadata struct {
	DisplayPhoneNumber string  `json:"display_phone_number"`
	PhoneNumberID      meta.ID `json:"phone_number_id"`
}

type contact struct {
	Profile struct {
		Name     string `json:"name"`
		Username string `json:"username"`
	} `json:"profile"`
	WaID         meta.ID `json:"wa_id"`
	UserID       meta.ID `json:"user_id"`
	ParentUserID meta.ID `json:"parent_user_id"`
}

// message is an inbound message, or the inner message of an edit.
type message struct {
	From        meta.ID   `json:"from"`
	FromUserID  meta.ID   `json:"from_user_id"`
	ID          meta.ID   `json:"id"`
	Timestamp   meta.Time `json:"timestamp"`
	Type        string    `json:"type"`
	Text        *textBody `json:"text"`
	Image       *media    `json:"image"`
	Video       *media    `json:"video"`
	Document    *media    `json:"document"`
	Audio       *media    `json:"audio"`
	Voice       *media    `json:"voice"`
	Sticker     *media    `json:"sticker"`
	Location    *location `json:"location"`
	Contacts    []card    `json:"contacts"`
	Interactive *struct {
		Type        string  `json:"type"`
		ButtonReply *choice `json:"button_reply"`
		ListReply   *choice `json:"list_reply"`
		NfmReply    *struct {
			Name string `json:"name"`
			Body string `json:"body"`
		} `json:"nfm_reply"`
	} `json:"interactive"`
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Reaction *struct {
		MessageID meta.ID `json:"message_id"`
		Emoji     string  `json:"emoji"`
	} `json:"reaction"`
	Order *struct {
		Text  string `json:"text"`
		Items []struct {
			ProductRetailerID string  `json:"product_retailer_id"`
			Quantity          float64 `json:"quantity"`
		} `json:"product_items"`
	} `json:"order"`
	Edit *struct {
		OriginalMessageID meta.ID  `json:"original_message_id"`
		Message           *message `json:"message"`
	} `json:"edit"`
	Revoke *struct {
		OriginalMessageID meta.ID `json:"original_message_id"`
	} `json:"revoke"`
	System *struct {
		Body string `json:"body"`
		Type string `json:"type"`
	} `json:"system"`
	Unsupported *struct {
		Type string `json:"type"`
	} `json:"unsupported"`
	Errors []apiErr `json:"errors"`
}

type media struct {
	ID       meta.ID `json:"id"`
	Caption  string  `json:"caption"`
	Filename string  `json:"filename"`
	MimeType string  `json:"mime_type"`
	URL      string  `json:"url"`
	Voice    bool    `json:"voice"`
	Animated bool    `json:"animated"`
}

type location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name"`
	Address   string  `json:"address"`
	URL       string  `json:"url"`
}

type card struct {
	Name struct {
		FormattedName string `json:"formatted_name"`
		FirstName     string `json:"first_name"`
		LastName      string `json:"last_name"`
	} `json:"name"`
	Phones []struct {
		Phone string `json:"phone"`
	} `json:"phones"`
	Emails []struct {
		Email string `json:"email"`
	} `json:"emails"`
}

type choice struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

type status struct {
	ID          meta.ID   `json:"id"`
	Status      string    `json:"status"`
	Timestamp   meta.Time `json:"timestamp"`
	RecipientID meta.ID   `json:"recipient_id"`
	Errors      []apiErr  `json:"errors"`
}

type apiErr struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

type textBody struct {
	Body string `json:"body"`
}
