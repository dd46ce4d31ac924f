namespace DualStack.SampleAgent;

/// <summary>
/// Reply templates per profile and key. The first variant is the deterministic reply; nondeterministic mode picks any.
/// v2 rewords every v1 reply but keeps every placeholder, so both profiles state the same facts. The <c>*.denied</c>
/// keys serve only the negated-outcome fault knob: same placeholders and variant count as their <c>*.done</c> keys.
/// </summary>
internal static class Phrasebook
{
    public static IReadOnlyDictionary<string, string[]> For(string profile) => profile == "v2" ? s_v2 : s_v1;

    private static readonly Dictionary<string, string[]> s_v1 = new(StringComparer.Ordinal)
    {
        ["order.shipped"] =
        [
            "Order {orderId} has shipped and should arrive on {eta}.",
            "Your order {orderId} has shipped; expected arrival is {eta}.",
            "Order {orderId} is on its way and should arrive on {eta}.",
        ],
        ["order.delivered"] =
        [
            "Order {orderId} was delivered on {eta}.",
            "Our records show that order {orderId} was delivered on {eta}.",
        ],
        ["order.other"] =
        [
            "Order {orderId} is {status} and should arrive on {eta}.",
            "Order {orderId} is currently {status}; it should arrive on {eta}.",
        ],
        ["order.notFound"] =
        [
            "Sorry, I could not find order {orderId}.",
            "I'm sorry, order {orderId} could not be found.",
        ],
        ["order.failed"] =
        [
            "Sorry, I could not look up order {orderId} right now. Please try again later.",
            "The order system is not responding, so I cannot check order {orderId} at the moment.",
        ],
        ["order.missingId"] =
        [
            "Which order do you mean? Please give me the order number.",
            "Please tell me your order number so I can look it up.",
        ],
        ["refund.done"] =
        [
            "A refund of {amount} {currency} for order {orderId} has been issued. You will receive a confirmation email shortly.",
            "I have issued a refund of {amount} {currency} for order {orderId}; a confirmation email is on its way.",
            "Your refund of {amount} {currency} for order {orderId} is issued, and a confirmation email will follow.",
        ],
        // negated-outcome only: refund.done's variants, one for one, telling the same facts as refused.
        ["refund.denied"] =
        [
            "Sorry, the refund of {amount} {currency} for order {orderId} could not be issued. You will not receive a confirmation email.",
            "I could not issue a refund of {amount} {currency} for order {orderId}; no confirmation email is on its way.",
            "Your refund of {amount} {currency} for order {orderId} was refused, and no confirmation email will follow.",
        ],
        ["refund.notFound"] =
        [
            "Sorry, I could not find order {orderId}, so I cannot issue a refund.",
            "I cannot issue a refund because order {orderId} could not be found.",
        ],
        ["refund.failed"] =
        [
            "Sorry, the refund for order {orderId} could not be processed right now. Please try again later.",
            "I could not process the refund for order {orderId} at the moment.",
        ],
        ["refund.missingId"] =
        [
            "I can help with a refund. Which order number is it for?",
            "Please tell me the order number you want refunded.",
        ],
        ["address.done"] =
        [
            "Your address has been updated to {address}. A confirmation email has been sent.",
            "I have changed your address to {address} and sent you a confirmation email.",
        ],
        // negated-outcome only: address.done's variants, one for one, telling the same address as not saved.
        ["address.denied"] =
        [
            "Sorry, your address could not be updated to {address}. No confirmation email has been sent.",
            "I was unable to change your address to {address}, so no confirmation email was sent.",
        ],
        ["address.failed"] =
        [
            "Sorry, I could not update your address right now. Please try again later.",
            "I was not able to change your address at the moment.",
        ],
        ["address.missing"] =
        [
            "What is your new address?",
            "Please tell me the new address.",
        ],
        ["product.found"] =
        [
            "We have: {products}.",
            "Here is what we have: {products}.",
        ],
        ["product.none"] =
        [
            "Sorry, we don't have anything matching '{query}'.",
            "I found no products matching '{query}'.",
        ],
        ["product.failed"] =
        [
            "Sorry, I could not search the catalog right now.",
            "The catalog is not available at the moment, please try again later.",
        ],
        ["memory.stored"] =
        [
            "Got it, I will remember that: {fact}.",
            "Noted. I will remember: {fact}.",
        ],
        ["recall.found"] =
        [
            "Here is what I remember: {facts}.",
            "I remember the following: {facts}.",
        ],
        ["recall.none"] =
        [
            "I don't have anything remembered about that.",
            "I have no memory of that yet.",
        ],
        ["greeting"] =
        [
            "Hello! How can I help you today?",
            "Hi! What can I do for you?",
        ],
        ["thanks"] =
        [
            "You're welcome!",
            "Glad I could help!",
        ],
        ["goodbye"] =
        [
            "Goodbye, have a nice day!",
            "Bye! Have a great day.",
        ],
        ["fallback"] =
        [
            "Sorry, I did not understand. I can help with orders, refunds, address changes and product questions.",
            "I'm not sure what you mean. You can ask me about orders, refunds, your address or our products.",
        ],
    };

    private static readonly Dictionary<string, string[]> s_v2 = new(StringComparer.Ordinal)
    {
        ["order.shipped"] =
        [
            "Good news: your order {orderId} is shipped, with delivery expected on {eta}.",
            "Your order {orderId} is already shipped and we expect it to reach you on {eta}.",
            "Great news! Order {orderId} is shipped; delivery is planned for {eta}.",
        ],
        ["order.delivered"] =
        [
            "According to our records, your order {orderId} arrived on {eta}.",
            "Your order {orderId} reached you on {eta}, according to the carrier.",
        ],
        ["order.other"] =
        [
            "Your order {orderId} is currently {status}, with delivery expected on {eta}.",
            "Right now order {orderId} is {status}; we expect to deliver it on {eta}.",
        ],
        ["order.notFound"] =
        [
            "Hmm, I can't find any order with the number {orderId}.",
            "I looked, but there is no order {orderId} in our system.",
        ],
        ["order.failed"] =
        [
            "I'm having trouble reaching our order system, so I can't check order {orderId} just now. Please try again shortly.",
            "Order {orderId} can't be checked at the moment because our order system is unavailable; please retry soon.",
        ],
        ["order.missingId"] =
        [
            "Happy to check! Could you share your order number?",
            "Sure, what's the order number?",
        ],
        ["refund.done"] =
        [
            "All set: {amount} {currency} is being refunded for order {orderId}, and we've emailed you a confirmation.",
            "Done! We're refunding {amount} {currency} on order {orderId}; check your inbox for the confirmation.",
            "Your money is on its way back: {amount} {currency} for order {orderId}. A confirmation email has been sent.",
        ],
        ["refund.denied"] =
        [
            "Sorry: {amount} {currency} cannot be refunded for order {orderId}, and we haven't emailed you a confirmation.",
            "Unfortunately we're unable to refund {amount} {currency} on order {orderId}; there is no confirmation in your inbox.",
            "Your money is not on its way back: the refund of {amount} {currency} for order {orderId} was declined. No confirmation email has been sent.",
        ],
        ["refund.notFound"] =
        [
            "I couldn't locate order {orderId}, so there's nothing I can refund yet.",
            "There's no order {orderId} on file, so I'm unable to process a refund for it.",
        ],
        ["refund.failed"] =
        [
            "Something went wrong while refunding order {orderId}; please give it another try in a little while.",
            "Our refund system didn't accept the request for order {orderId} just now, please retry later.",
        ],
        ["refund.missingId"] =
        [
            "Sure, I can sort out a refund. What's the order number?",
            "Happy to help with that refund. Could you share the order number?",
        ],
        ["address.done"] =
        [
            "Done: we now have {address} as your address, and a confirmation is in your inbox.",
            "Your new address, {address}, is saved. We've emailed you a confirmation.",
        ],
        ["address.denied"] =
        [
            "Sorry: we couldn't save {address} as your address, so there is no confirmation in your inbox.",
            "Your new address, {address}, was not saved. We haven't emailed you a confirmation.",
        ],
        ["address.failed"] =
        [
            "Our customer system didn't take the address change just now; please try again shortly.",
            "Something went wrong saving your new address, please retry in a moment.",
        ],
        ["address.missing"] =
        [
            "Sure, what's the new address?",
            "Happy to update it. Which address should we use?",
        ],
        ["product.found"] =
        [
            "Good news, I found {products}.",
            "Take a look: {products}.",
        ],
        ["product.none"] =
        [
            "Unfortunately nothing in our catalog matches '{query}'.",
            "No luck: our catalog has nothing for '{query}'.",
        ],
        ["product.failed"] =
        [
            "Our catalog isn't responding just now; please ask again in a moment.",
            "I can't reach the product catalog right now, sorry about that.",
        ],
        ["memory.stored"] =
        [
            "Thanks for telling me! I've saved this: {fact}.",
            "Sure thing, I'll keep in mind: {fact}.",
        ],
        ["recall.found"] =
        [
            "From our earlier chats I know: {facts}.",
            "These are the notes I have about you: {facts}.",
        ],
        ["recall.none"] =
        [
            "I'm afraid I don't know anything about that yet.",
            "Sorry, I have nothing remembered about that yet.",
        ],
        ["greeting"] =
        [
            "Hey there! How can I help you?",
            "Welcome! What can I do for you today?",
        ],
        ["thanks"] =
        [
            "My pleasure, glad I could help!",
            "Anytime, happy to help!",
        ],
        ["goodbye"] =
        [
            "Take care, have a nice day!",
            "Thanks for stopping by, goodbye!",
        ],
        ["fallback"] =
        [
            "Hmm, I didn't understand that. I can help with an order, a refund, your address or a product question.",
            "I'm not sure I follow. I'm best with orders, refunds, address updates and product questions.",
        ],
    };
}
