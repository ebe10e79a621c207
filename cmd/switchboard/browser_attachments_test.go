package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-chat/switchboard/adapters/telegram/telegramtest"
)

// File names are the customer's (or anyone's) to choose: these must show as
// text, never as markup, in the inbox and the widget.
const (
	xssPhotoName = `<img src=x onerror=alert(1)> photo.png`
	xssPDFName   = `<svg onload=alert(2)> invoice.pdf`
)

// TestBrowserAttachments is attachments in real browsers: a visitor on a
// phone drops a photo into the widget and the agent sees it in the open
// conversation, live, as a thumbnail that opens full size; the agent
// attaches a PDF with the paperclip and the visitor gets a document chip;
// a file the server refuses shows the server's reason next to it and
// nothing is sent; a Telegram voice note whose file the Bot API no longer
// has shows, live, why it could not be fetched. The gateway is the real
// one, with a fake Bot API behind its Telegram channel.
func TestBrowserAttachments(t *testing.T) {
	findChromium(t)
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			fake := telegramtest.New(t)
			s := startServerWith(t, b, t.TempDir(), fmt.Sprintf(`channels:
  - {id: web, type: widget}
  - {id: tg, type: telegram, bot_token: %q, secret_token: %q, api_url: %q}
`, fake.Token, tgSecret, fake.URL()))
			br := startBrowser(t)
			attachmentsFlow(t, s, br)
		})
	}
}

// testPNG is a w×h picture in two colours.
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 0x2f, G: 0x5b, B: 0xea, A: 0xff}
			if x > w/2 {
				c = color.RGBA{R: 0xf5, G: 0x9f, B: 0x00, A: 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testPDF is a one-page PDF document.
const testPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// dropFileJS drops a file (bytes in base64) on the element, as a person
// dragging it from their desktop would.
func dropFileJS(elemExpr, name, mime string, data []byte) string {
	return fmt.Sprintf(`((el) => {
  const bin = atob(%s), bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], %s, {type: %s}));
  for (const type of ["dragenter", "dragover", "drop"]) {
    el.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, composed: true, dataTransfer: dt}));
  }
})(%s)`, jsq(base64.StdEncoding.EncodeToString(data)), jsq(name), jsq(mime), elemExpr)
}

// pasteFileJS pastes a file (a screenshot from the clipboard) into the element.
func pasteFileJS(elemExpr, name, mime string, data []byte) string {
	return fmt.Sprintf(`((el) => {
  const bin = atob(%s), bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], %s, {type: %s}));
  el.focus();
  el.dispatchEvent(new ClipboardEvent("paste", {bubbles: true, cancelable: true, composed: true, clipboardData: dt}));
})(%s)`, jsq(base64.StdEncoding.EncodeToString(data)), jsq(name), jsq(mime), elemExpr)
}

// uploadRefusal posts a file to the agent's attachment route with Go's
// client and returns the contract error it answers (status, message).
func uploadRefusal(t *testing.T, s *server, token, convID, name string, data []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	req, err := http.NewRequest("POST", s.base+"/v1/conversations/"+convID+"/attachments", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(raw, &e); err != nil || e.Error.Message == "" {
		t.Fatalf("upload of %s: status %d, body %s: want a contract error", name, res.StatusCode, raw)
	}
	return res.StatusCode, e.Error.Message
}

// chatAttachmentsJS lists the attachments the inbox's open conversation shows.
const chatAttachmentsJS = `[...document.querySelectorAll('[data-testid=chat] [data-testid=attachment]')].map(a => ({
  id: a.dataset.id || "", kind: a.dataset.kind || "", status: a.dataset.status || "", text: a.textContent.trim(),
  reason: a.querySelector('[data-testid=attachment-error]')?.textContent || "",
  img: a.querySelector('img')?.getAttribute('src') || "", loaded: a.querySelector('img')?.naturalWidth || 0,
  alt: a.querySelector('img')?.alt || "", label: a.querySelector('button')?.getAttribute('aria-label') || ""}))`

// widgetAttachmentsJS lists the attachments the widget shows.
const widgetAttachmentsJS = `[...document.querySelector('#switchboard-widget').shadowRoot.querySelectorAll('[data-sb=attachment]')].map(a => ({
  id: a.dataset.id || "", kind: a.dataset.kind || "", status: a.dataset.status || "", text: a.textContent.trim(),
  img: a.querySelector('img')?.getAttribute('src') || "", loaded: a.querySelector('img')?.naturalWidth || 0,
  alt: a.querySelector('img')?.alt || "", label: a.querySelector('button')?.getAttribute('aria-label') || "",
  name: a.querySelector('[data-sb=attachment-name]')?.textContent || "", width: Math.round(a.getBoundingClientRect().right)}))`

// nonEmpty is the list expression's value when it has an element, else
// null (for pollJS, to which an empty array is already truthy).
func nonEmpty(listExpr string) string {
	return fmt.Sprintf(`((l) => l.length ? l : null)(%s)`, listExpr)
}

type shownAttachment struct {
	ID, Kind, Status, Text, Reason, Img, Alt, Label, Name string
	Loaded, Width                                         int
}

// injected counts elements that markup in a file name would have made.
const injectedJS = `document.querySelectorAll('img[src="x"], svg[onload], [onerror], [onload]').length +
  (document.querySelector('#switchboard-widget')?.shadowRoot?.querySelectorAll('img[src="x"], svg[onload], [onerror], [onload]').length ?? 0)`

func attachmentsFlow(t *testing.T, s *server, br *browser) {
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{
		"email": agentEmail, "name": agentName, "password": agentPassword, "max_chats": 5})
	agentTok := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": agentEmail, "password": agentPassword}), "token")
	s.must(200, "PUT", "/v1/me/status", agentTok, map[string]any{"online": true})

	// The agent's inbox, signed in with the token.
	agent := br.newTab("agent")
	agent.navigate(s.base + "/inbox")
	evalJS[chromedp.Void](agent, `localStorage.setItem("switchboard.inbox.token", `+jsq(agentTok)+`)`)
	agent.navigate(s.base + "/inbox")
	agent.waitJS("the inbox", visible(tid("me-name"))+` && `+tid("me-name")+`.textContent.includes(`+jsq(agentName)+`)`, describe(`document.body`))

	// The visitor, on a phone, asks for a person; the agent accepts.
	visitor := br.newTab("visitor")
	visitor.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	visitor.navigate(s.base + "/widget/demo")
	visitor.waitJS("the widget's session", `document.querySelector('#switchboard-widget')?.getAttribute('data-sb-ready') === '1'`,
		describe(`document.querySelector('#switchboard-widget')`))
	visitor.click("the chat bubble", sb("[data-sb=launcher]"))
	visitor.waitJS("the panel", visible(sb("[data-sb=panel]")), describe(sb("[data-sb=panel]")))
	visitor.typeInto("the widget input", sb("[data-sb=input]"), "The parcel arrived broken\r")
	visitor.click("Talk to a person", sb("[data-sb=handoff]"))
	reqEl := requestJS("The parcel arrived broken")
	agent.waitJS("the request", reqEl, describe(tid("requests")))
	agent.click("Accept", reqEl+`.querySelector('[data-testid=request-accept]')`)
	agent.waitJS("the chat", visible(tid("chat"))+` && `+tid("chat")+`.dataset.status === "active"`, describe(tid("chat")))
	convID := evalJS[string](agent, tid("chat")+`.dataset.id`)
	visitor.waitJS("the chat to be active", `document.querySelector('#switchboard-widget').getAttribute('data-sb-status') === 'active'`, "")

	// On the phone the paperclip is there and within the screen.
	clip := evalJS[map[string]any](visitor, fmt.Sprintf(`((b) => { const r = b.getBoundingClientRect();
  return {label: b.getAttribute('aria-label') || "", inView: r.width >= 40 && r.left >= 0 && r.right <= innerWidth && r.bottom <= innerHeight}; })(%s)`,
		sb("[data-sb=attach]")))
	if clip["label"] == "" || clip["inView"] != true {
		t.Errorf("widget paperclip on a 390×844 phone: %v; want a labelled button within the screen", clip)
	}

	// --- The visitor drops a photo with a hostile name into the chat.
	photo := testPNG(t, 64, 48)
	evalJS[chromedp.Void](visitor, dropFileJS(sb("[data-sb=panel]"), xssPhotoName, "image/png", photo))
	// The agent, who opened the conversation before, sees it without a reload.
	agentPhoto := pollJS[[]shownAttachment](agent, "the visitor's photo in the agent's conversation",
		nonEmpty(chatAttachmentsJS+`.filter(a => a.kind === "image" && a.status === "ready" && a.img.startsWith("blob:") && a.loaded > 0)`),
		`JSON.stringify(`+chatAttachmentsJS+`)`)[0]
	if !strings.Contains(agentPhoto.Alt, xssPhotoName) || !strings.Contains(agentPhoto.Label, "full size") {
		t.Errorf("agent's photo: alt %q, button label %q; want the file name as text and an 'open full size' label", agentPhoto.Alt, agentPhoto.Label)
	}
	// The visitor sees their own photo too, within the phone's width.
	own := pollJS[[]shownAttachment](visitor, "the visitor's own photo",
		nonEmpty(widgetAttachmentsJS+`.filter(a => a.kind === "image" && a.status === "ready" && a.loaded > 0)`), `JSON.stringify(`+widgetAttachmentsJS+`)`)[0]
	if own.Width > 390 {
		t.Errorf("the photo reaches x=%d on a 390 px screen", own.Width)
	}
	visitor.shot("own-photo")
	// Clicking the thumbnail opens the full-size picture (64 px wide).
	agent.click("the photo", tid("attachment-image"))
	agent.waitJS("the full-size photo", tid("media-viewer")+`.open && `+tid("viewer-image")+`.naturalWidth === 64`, describe(tid("media-viewer")))
	agent.shot("photo-full-size")
	agent.press(keyEscape)
	agent.waitJS("Escape to close the viewer", `!`+tid("media-viewer")+`.open`, "")
	if n := evalJS[int](agent, `document.querySelectorAll('[data-testid=chat] [data-testid=message]').length`); n == 0 {
		t.Error("no messages in the agent's conversation")
	}
	agent.shot("photo")

	// --- A Telegram customer's voice note whose file Telegram cannot give.
	if st := tgPost(t, s, tgSecret, tgText(11, 1, "talk to a person")); st != 200 {
		t.Fatalf("telegram handoff: %d", st)
	}
	var tgReq string
	eventually(t, "the Telegram request", func() bool {
		for _, r := range list(s.must(200, "GET", "/v1/requests", agentTok, nil), "requests") {
			if str(r, "channel", "type") == "telegram" {
				tgReq = str(r, "id")
				return true
			}
		}
		return false
	})
	tgConv := str(s.must(200, "POST", "/v1/requests/"+tgReq+"/accept", agentTok, nil), "conversation", "id")
	convEl := fmt.Sprintf(`document.querySelector('[data-testid=conversation][data-id=%s] button')`, jsq(tgConv))
	agent.click("Tom's conversation", convEl)
	agent.waitJS("Tom's conversation open", tid("chat")+`.dataset.id === `+jsq(tgConv), describe(tid("chat")))
	if st := tgPost(t, s, tgSecret, tgVoice(12, 2, "AwACAgIAAxkBAAIBvGXg-gone", "the noise it makes")); st != 200 {
		t.Fatalf("telegram voice note: %d", st)
	}
	shown := pollJS[[]shownAttachment](agent, "the voice note's failure, live",
		nonEmpty(chatAttachmentsJS+`.filter(a => a.kind === "voice" && a.status === "failed")`), `JSON.stringify(`+chatAttachmentsJS+`)`)[0]
	var reason string
	for _, m := range list(s.must(200, "GET", "/v1/conversations/"+tgConv, agentTok, nil), "messages") {
		for _, a := range list(m, "attachments") {
			if str(a, "id") == shown.ID {
				reason = str(a, "error")
			}
		}
	}
	if reason == "" || shown.Reason != "Could not fetch: "+reason {
		t.Errorf("failed voice note shows %q; the API says its error is %q", shown.Reason, reason)
	}
	agent.waitJS("the caption kept", chatMessagesJS+`.some(m => m.text.includes("the noise it makes"))`, chatMessagesJS+`.map(m => m.text).join(" | ")`)
	agent.shot("failed-fetch")

	// Back to the visitor's conversation.
	agent.click("the visitor's conversation", fmt.Sprintf(`document.querySelector('[data-testid=conversation][data-id=%s] button')`, jsq(convID)))
	agent.waitJS("the visitor's conversation open", tid("chat")+`.dataset.id === `+jsq(convID), describe(tid("chat")))

	// --- The agent attaches a PDF with the paperclip and sends it with a caption.
	dir := t.TempDir()
	pdfPath := filepath.Join(dir, xssPDFName)
	if err := os.WriteFile(pdfPath, []byte(testPDF), 0o600); err != nil {
		t.Fatal(err)
	}
	agent.do("choose the PDF", chromedp.SetUploadFiles(chromedp.JSPath(tid("chat-file")), []string{pdfPath}))
	agent.waitJS("the staged PDF", tid("staged-name")+`?.textContent === `+jsq(xssPDFName), describe(tid("staged-files")))
	agent.typeInto("the chat input", tid("chat-input"), "Here is your invoice\r")
	agent.waitJS("the PDF sent", `!`+visible(tid("staged-files"))+` && `+chatAttachmentsJS+`.some(a => a.kind === "document")`,
		describe(tid("staged-files"))+` + JSON.stringify(`+chatAttachmentsJS+`)`)
	chip := pollJS[[]shownAttachment](visitor, "the PDF as a document chip in the widget",
		nonEmpty(widgetAttachmentsJS+`.filter(a => a.kind === "document" && a.status === "ready" && a.name)`), `JSON.stringify(`+widgetAttachmentsJS+`)`)[0]
	if chip.Name != xssPDFName || !strings.Contains(chip.Text, "application/pdf") {
		t.Errorf("widget's document chip: name %q, text %q; want the name as text and its type", chip.Name, chip.Text)
	}
	visitor.waitJS("the caption", widgetMessagesJS+`.some(m => m.author === "agent" && m.text === "Here is your invoice")`,
		widgetMessagesJS+`.map(m => m.author + ": " + m.text).join(" | ")`)
	visitor.shot("pdf-chip")

	// A pasted screenshot is staged too, and its × (from the keyboard)
	// takes it out again before anything is sent.
	evalJS[chromedp.Void](agent, pasteFileJS(tid("chat-input"), "image.png", "image/png", photo))
	agent.waitJS("the pasted picture staged", tid("staged-name")+`?.textContent === "image.png"`, describe(tid("staged-files")))
	evalJS[chromedp.Void](agent, tid("staged-file")+`.querySelector('button').focus()`)
	agent.press(keyEnter)
	agent.waitJS("the pasted picture removed", `!`+visible(tid("staged-files")), describe(tid("staged-files")))

	// --- A file the server refuses (HTML named .png) stays in the tray with
	// the server's reason, and nothing is sent.
	fake := []byte("<!doctype html><html><script>alert(3)</script></html>")
	wantStatus, wantMsg := uploadRefusal(t, s, agentTok, convID, "screenshot.png", fake)
	if wantStatus != 415 {
		t.Fatalf("HTML named .png: status %d, want 415", wantStatus)
	}
	before := len(list(s.must(200, "GET", "/v1/conversations/"+convID, agentTok, nil), "messages"))
	htmlPath := filepath.Join(dir, "screenshot.png")
	if err := os.WriteFile(htmlPath, fake, 0o600); err != nil {
		t.Fatal(err)
	}
	agent.do("choose the fake PNG", chromedp.SetUploadFiles(chromedp.JSPath(tid("chat-file")), []string{htmlPath}))
	agent.waitJS("the staged file", tid("staged-name")+`?.textContent === "screenshot.png"`, describe(tid("staged-files")))
	agent.click("Send", tid("chat-send"))
	got := pollJS[string](agent, "the server's reason next to the refused file",
		visible(tid("staged-error"))+` && `+tid("staged-error")+`.textContent`, describe(tid("staged-files")))
	if got != wantMsg {
		t.Errorf("refused file shows %q, want the server's message %q", got, wantMsg)
	}
	if after := len(list(s.must(200, "GET", "/v1/conversations/"+convID, agentTok, nil), "messages")); after != before {
		t.Errorf("a refused upload stored a message: %d messages, were %d", after, before)
	}
	agent.shot("refused")

	if n := evalJS[int](agent, injectedJS); n != 0 {
		t.Errorf("inbox: %d elements made from markup in file names", n)
	}
	if n := evalJS[int](visitor, injectedJS); n != 0 {
		t.Errorf("widget: %d elements made from markup in file names", n)
	}

	agent.close()
	visitor.close()
}

// tgVoice is a private-chat voice note from Tom Hanks (chat 5550123), in
// the shape Telegram sends.
func tgVoice(updateID, messageID int, fileID, caption string) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":%d,`+
		`"chat":{"id":5550123,"type":"private","first_name":"Tom","last_name":"Hanks","username":"tom"},`+
		`"from":{"id":5550123,"is_bot":false,"first_name":"Tom","last_name":"Hanks","username":"tom"},`+
		`"voice":{"duration":3,"mime_type":"audio/ogg","file_id":%q,"file_unique_id":"AgADvAEAAgone","file_size":8127},"caption":%q}}`,
		updateID, messageID, time.Now().Unix(), fileID, caption)
}
