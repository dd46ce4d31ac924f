namespace DualStack.SampleAgent.Tests;

[TestFixture]
public sealed class IntentRecognizerTests
{
    [TestCase("Where is order 4411?", "OrderStatus", "4411")]
    [TestCase("status of my order #4411", "OrderStatus", "4411")]
    [TestCase("Track 5001 please", "OrderStatus", "5001")]
    [TestCase("where is my order?", "OrderStatus", null)]
    [TestCase("I want a refund for order 4411", "Refund", "4411")]
    [TestCase("Can I get my money back on #7788", "Refund", "7788")]
    [TestCase("return order 4412", "Refund", "4412")]
    [TestCase("refund 1500.00 USD for order 4411", "Refund", "4411")]
    [TestCase("change my address to 12 High Street, London N1 9GU", "AddressChange", null)]
    [TestCase("I moved to 5 Rue de Rivoli, Paris 75001", "AddressChange", null)]
    [TestCase("do you have a laptop stand?", "ProductQuestion", null)]
    [TestCase("What is the price of the USB-C charger?", "ProductQuestion", null)]
    [TestCase("Is the webcam in stock?", "ProductQuestion", null)]
    [TestCase("remember that I prefer email", "Remember", null)]
    [TestCase("Please note that my dog is called Rex.", "Remember", null)]
    [TestCase("what do you remember?", "Recall", null)]
    [TestCase("What is my address?", "Recall", null)]
    [TestCase("do you know my dog's name?", "Recall", null)]
    [TestCase("Hello", "Greeting", null)]
    [TestCase("thank you!", "Thanks", null)]
    [TestCase("bye", "Goodbye", null)]
    [TestCase("the weather is nice", "Fallback", null)]
    public void Recognize_Message_KindAndOrderId(string message, string kind, string? orderId)
    {
        var intent = IntentRecognizer.Recognize(message);

        Assert.That(intent.Kind.ToString(), Is.EqualTo(kind));
        Assert.That(intent.OrderId, Is.EqualTo(orderId));
    }

    [TestCase("refund $25 for order 4411", "25.00", "USD")]
    [TestCase("refund 25.00 USD for order 4411", "25.00", "USD")]
    [TestCase("refund €12.50 for order 4411", "12.50", "EUR")]
    [TestCase("I'd like £1,200 back, refund order 4411", "1200.00", "GBP")]
    [TestCase("refund 30 euros on order 4411", "30.00", "EUR")]
    public void Recognize_RefundWithAmount_AmountAndCurrency(string message, string amount, string currency)
    {
        var intent = IntentRecognizer.Recognize(message);

        Assert.That(intent.Amount?.ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(amount));
        Assert.That(intent.Currency, Is.EqualTo(currency));
        Assert.That(intent.OrderId, Is.EqualTo("4411"));
    }

    [TestCase("remember that I prefer email", "prefer email")]
    [TestCase("Please note that my dog is called Rex.", "my dog is called Rex")]
    public void Recognize_Remember_NormalizedFact(string message, string fact)
    {
        Assert.That(IntentRecognizer.Recognize(message).Fact, Is.EqualTo(fact));
    }

    [TestCase("Do you have wireless headphones in stock?", "wireless headphones")]
    [TestCase("What is the price of the USB-C charger?", "usb-c charger")]
    [TestCase("Is the laptop stand in stock?", "laptop stand")]
    [TestCase("How much does the HD webcam cost?", "hd webcam")]
    public void Recognize_ProductQuestion_Query(string message, string query)
    {
        Assert.That(IntentRecognizer.Recognize(message).Query, Is.EqualTo(query));
    }

    [TestCase("12 High Street, London N1 9GU", "12 High Street, London")]
    [TestCase("1 Main Street, Springfield 12345", "1 Main Street, Springfield")]
    [TestCase("Flat 2, 10 Downing Street SW1A 2AA", "Flat 2, 10 Downing Street")]
    [TestCase("Somewhere, Nowhere", "Somewhere")]
    public void DropPostcode_Address_PostcodeRemoved(string address, string expected)
    {
        Assert.That(Money.DropPostcode(address), Is.EqualTo(expected));
    }

    [TestCase("25", "27.50")]
    [TestCase("59.90", "65.89")]
    [TestCase("120.00", "132.00")]
    public void Inflate_Amount_TenPercentMoreTwoDecimals(string amount, string expected)
    {
        var value = decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture);

        Assert.That(Money.Inflate(value).ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(expected));
    }
}
