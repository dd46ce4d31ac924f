using Bogus;
using DualStack.Core.Model;
using DualStack.Core.Scenarios;

namespace DualStack.Core.Synthetic;

/// <summary>Generates persona-based multi-turn conversations with Bogus; the same seed always gives the same conversations.</summary>
public static class SyntheticGenerator
{
    /// <summary>The intents the generator knows, in a stable order (<see cref="SyntheticConfig.KnownIntents"/>).</summary>
    public static IReadOnlyList<string> Intents => SyntheticConfig.KnownIntents;

    private static readonly string[] Locales = ["en", "en_GB", "en_US", "de", "fr", "es", "nl"];
    private static readonly string[] Channels = ["web", "web", "mobile", "email"];
    private static readonly string[] Products = ["wireless headphones", "usb-c charger", "laptop stand", "mechanical keyboard", "webcam", "phone case", "hdmi cable", "desk lamp"];
    private static readonly string[] Reasons = ["it arrived damaged", "it is the wrong size", "I changed my mind", "it never worked", "it arrived too late"];

    /// <summary>Generates <see cref="SyntheticConfig.Count"/> conversations.</summary>
    public static IReadOnlyList<Conversation> Generate(SyntheticConfig config)
    {
        var weights = Intents.Select(i => config.Intents is { } w ? (w.TryGetValue(i, out var v) ? v : 0) : 1.0).ToArray();
        if (weights.Sum() <= 0)
        {
            throw new ArgumentException("synthetic.intents: all weights are zero");
        }

        var random = new Randomizer(config.Seed);
        var conversations = new List<Conversation>(config.Count);
        for (var index = 0; index < config.Count; index++)
        {
            var faker = new Faker(random.ArrayElement(Locales)) { Random = new Randomizer(random.Int()) };
            conversations.Add(GenerateOne(faker, config, weights, index));
        }

        return conversations;
    }

    private static Conversation GenerateOne(Faker faker, SyntheticConfig config, double[] weights, int index)
    {
        var firstName = faker.Name.FirstName();
        var lastName = faker.Name.LastName();
        var email = faker.Internet.Email(firstName, lastName).ToLowerInvariant();
        var orderIds = Enumerable.Range(0, 3).Select(_ => faker.Random.Int(1000, 99999).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var turnCount = faker.Random.Int(config.MinTurns, config.MaxTurns);
        // A memory conversation needs two turns (state the fact, ask for it); draw first so seeds keep their sequence.
        var withMemory = faker.Random.Double() < config.MemoryProbability && turnCount >= 2;
        var turns = new List<Turn>();
        var tags = new List<string> { "synthetic", "locale:" + faker.Locale };
        string? fact = null;
        if (withMemory)
        {
            fact = faker.PickRandom(
                "I prefer email over phone calls",
                $"my dog is called {faker.Name.FirstName()}",
                $"my favourite colour is {faker.Commerce.Color()}",
                $"I work as a {faker.Name.JobTitle().ToLowerInvariant()}",
                "I am allergic to latex");
            turns.Add(new Turn { Message = $"Please remember that {fact}." });
            tags.Add("intent:memory");
        }

        var greeting = faker.Random.Bool(0.4f);
        // Leave room for the closing memory question so the count stays within MinTurns..MaxTurns.
        if (greeting && turns.Count < turnCount - (fact is null ? 0 : 1))
        {
            turns.Insert(0, new Turn { Message = faker.PickRandom($"Hi, this is {firstName}.", "Hello!", $"Hi there, {firstName} {lastName} here.") });
        }

        while (turns.Count < turnCount - (fact is null ? 0 : 1))
        {
            var intent = Intents[PickWeighted(faker, weights)];
            if (intent == "memory")
            {
                intent = "small_talk";
            }

            tags.Add("intent:" + intent);
            turns.Add(new Turn { Message = Message(faker, intent, orderIds, email) });
        }

        if (fact is not null)
        {
            turns.Add(new Turn { Message = faker.PickRandom("What do you remember about me?", "Do you remember what I told you earlier?", "What do you know about me?") });
        }

        return new Conversation
        {
            Id = $"syn-{config.Seed}-{index:D4}",
            UserId = $"u-syn-{config.Seed}-{index:D4}",
            Channel = faker.PickRandom(Channels),
            Source = ConversationSource.Synthetic,
            Tags = tags.Distinct().ToArray(),
            Turns = turns,
        };
    }

    private static string Message(Faker faker, string intent, string[] orderIds, string email)
    {
        var order = faker.PickRandom(orderIds);
        return intent switch
        {
            "order_status" => faker.PickRandom($"Where is my order #{order}?", $"Can you check the status of order {order}?", $"I'm still waiting for order {order}, where is it?", $"Track order {order} please."),
            "refund" => faker.Random.Bool()
                ? $"I want a refund for order {order}, {faker.PickRandom(Reasons)}."
                : $"Please refund ${faker.Random.Int(5, 80)}.{faker.Random.Int(0, 99):D2} for order {order}, {faker.PickRandom(Reasons)}.",
            "address_change" => $"Please change my address to {faker.Random.Int(1, 250)} {faker.PickRandom("High Street", "Station Road", "Main Street", "Church Lane", "Park Avenue")}, {faker.PickRandom("London", "Leeds", "Bristol", "York", "Bath")} {faker.Random.Replace("??# #??").ToUpperInvariant()}.",
            "product_question" => faker.PickRandom($"Do you have {faker.PickRandom(Products)} in stock?", $"Do you sell {faker.PickRandom(Products)}?", $"What is the price of the {faker.PickRandom(Products)}?"),
            _ => faker.PickRandom("Thanks!", "Hello, can you help me?", "Thank you, that's all.", $"Could you send updates to {email}? Thanks!"),
        };
    }

    private static int PickWeighted(Faker faker, double[] weights)
    {
        var roll = faker.Random.Double() * weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            roll -= weights[i];
            if (roll < 0)
            {
                return i;
            }
        }

        return Array.FindLastIndex(weights, w => w > 0);
    }
}
