package config

// defaultKnowledge is the bot's knowledge base with no file: the questions
// customers of the demo shop (Paper & Ink, whose page the widget demo
// shows: notebooks, ink and desk things) ask most, with answers that fit
// it. It is the knowledge base core's TestKnowledgeEval measures
// (core/testdata/kb.json; TestDefaultKnowledgeIsEvaluated keeps the two
// equal). A file that sets bot.knowledge replaces it.
func defaultKnowledge() []Knowledge {
	return []Knowledge{
		{ // order status
			Questions: []string{"where is my order", "track my order", "order status", "when will my order arrive",
				"has my order shipped", "where is my parcel", "where is my package", "my order has not arrived",
				"I have not received my package", "I am still waiting for my order", "my order is delayed",
				"my delivery is late", "update on my order", "tracking number", "tracking", "parcel status"},
			Answer: "You can follow your order at https://shop.example/orders with your order number and e-mail address; the shipping confirmation e-mail has the tracking link. Orders leave our workshop within two working days.",
		},
		{ // returns
			Questions: []string{"how do I return an item", "return an order", "return policy",
				"can I get my money back", "how long do refunds take", "send something back", "exchange an item",
				"is return shipping free", "return label", "return", "refund", "exchange"},
			Answer: "Returns are free within 30 days of delivery: start one at https://shop.example/returns, print the label and drop the parcel off. Your refund reaches the original payment method within 5 working days of the parcel arriving back with us. For an exchange, return the item and order the one you want.",
		},
		{ // shipping
			Questions: []string{"how much is shipping", "shipping costs", "delivery costs", "delivery charges",
				"free shipping", "how long does delivery take", "delivery time", "do you ship to my country",
				"which countries do you ship to", "do you deliver abroad", "international shipping",
				"international delivery", "express delivery", "postage", "shipping"},
			Answer: "Orders ship within two working days. Delivery within the EU takes 2–6 working days (€4.90, free from €50; express in 1–2 working days for €12.90); we ship worldwide from €14.90, in 5–12 working days.",
		},
		{ // opening hours
			Questions: []string{"what are your opening hours", "when are you open", "when does the shop open",
				"what time do you close", "when are you closed", "are you open today", "are you open on saturday",
				"are you open on public holidays", "bank holiday", "opening times", "business hours", "hours"},
			Answer: "Our shop at Workshop 4, Canal Street is open Monday to Friday 9:00–17:00 and Saturday 10:00–14:00; it is closed on Sundays and public holidays.",
		},
		{ // payment
			Questions: []string{"what payment methods do you accept", "how can I pay", "can I pay with paypal",
				"do you take credit cards", "can I pay by debit card", "apple pay or google pay", "my payment failed",
				"payment declined", "payment", "credit card", "visa", "mastercard", "american express", "klarna"},
			Answer: "We accept Visa, Mastercard, American Express, PayPal, Apple Pay, Google Pay and bank transfer, but no instalments or pay-later services such as Klarna. Your card is charged when the order ships.",
		},
		{ // invoices
			Questions: []string{"can I get an invoice", "where is my invoice", "download an invoice",
				"invoice with VAT number", "invoice for my company", "I need a receipt", "can I have a bill", "invoice",
				"receipt", "VAT"},
			Answer: "Your invoice comes with the shipping confirmation e-mail and can be downloaded under Orders in your account. For a company name or VAT number on it, tell us before the order ships.",
		},
		{ // account
			Questions: []string{"how do I create an account", "register", "sign up", "I can't log in",
				"sign in problems", "I forgot my password", "reset password", "change my e-mail address",
				"close my account", "password", "login", "account"},
			Answer: "Create an account or log in at https://shop.example/account; you can change your e-mail address or close your account there too. Forgot your password? Press \"Forgot password\" there and we e-mail you a link to set a new one (look in your spam folder too).",
		},
		{ // warranty
			Questions: []string{"is there a warranty", "is there a guarantee", "my item arrived damaged",
				"the product is broken", "the item is faulty", "it stopped working", "replace a defective product",
				"can you repair it", "replacement", "warranty", "guarantee", "broken", "damaged", "defective", "faulty",
				"leaking", "ripped"},
			Answer: "Everything we sell has a two-year warranty. If something arrived damaged or broke, send a photo and your order number to help@shop.example and we replace it or refund you.",
		},
		{ // address change
			Questions: []string{"change my delivery address", "deliver to a different address", "new address",
				"wrong address", "I gave the wrong address", "correct my address", "typo in my address",
				"wrong street or house number", "update shipping address", "address"},
			Answer: "Until your order ships we can change its delivery address: send us the order number and the new address. Once it has shipped, the tracking link lets you redirect the parcel.",
		},
		{ // cancellation
			Questions: []string{"cancel my order", "how do I cancel", "stop my order before it ships",
				"I changed my mind", "I don't want it anymore", "cancellation", "cancel"},
			Answer: "You can cancel an order until it ships (usually within two working days): open it at https://shop.example/orders and press \"Cancel order\", or send us its number here. Already shipped? Return it for free instead.",
		},
	}
}
