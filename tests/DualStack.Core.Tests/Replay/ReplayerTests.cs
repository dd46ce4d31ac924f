using DualStack.Core.Comparison;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;
using DualStack.Core.Tests.Support;

namespace DualStack.Core.Tests.Replay;

public sealed class ReplayerTests
{
    private static Conversation[] Conversations(int count, int turns) => Enumerable.Range(1, count).Select(c => new Conversation
    {
        Id = $"c{c}",
        UserId = $"u{c}",
        Turns = Enumerable.Range(0, turns).Select(t => new Turn { Message = $"c{c} turn {t}" }).ToArray(),
    }).ToArray();

    private static string SourceOf(TurnRequest request) => request.Message.Split(' ')[0];

    [Test]
    public async Task RunAsync_ThreeLanes_GetDistinctConversationAndUserIdsStableAcrossTurns()
    {
        var old = new FakeStack("old");
        var @new = new FakeStack("new");
        var replayer = new Replayer(old, @new, new ReplayConfig { Concurrency = 3, RepeatOld = true });

        var replays = await replayer.RunAsync(Conversations(5, 3), null, CancellationToken.None);

        Assert.That(replays, Has.Count.EqualTo(5));
        var all = old.Requests.Concat(@new.Requests).ToArray();
        Assert.That(all, Has.Length.EqualTo(5 * 3 * 3));
        foreach (var source in all.GroupBy(SourceOf))
        {
            var oldLanes = old.Requests.Where(r => SourceOf(r) == source.Key).Select(r => (r.ConversationId, r.UserId)).Distinct().ToArray();
            var newLanes = @new.Requests.Where(r => SourceOf(r) == source.Key).Select(r => (r.ConversationId, r.UserId)).Distinct().ToArray();
            Assert.That(oldLanes, Has.Length.EqualTo(2), $"{source.Key}: old and old′ each keep one id pair across turns");
            Assert.That(newLanes, Has.Length.EqualTo(1), $"{source.Key}: new keeps one id pair across turns");
            var lanes = oldLanes.Concat(newLanes).ToArray();
            Assert.That(lanes.Select(l => l.ConversationId), Is.Unique, source.Key);
            Assert.That(lanes.Select(l => l.UserId), Is.Unique, source.Key);
        }

        Assert.That(all.GroupBy(r => r.ConversationId).Select(g => g.Select(SourceOf).Distinct().Count()), Has.All.EqualTo(1), "no lane id is shared between conversations");
        Assert.That(all.GroupBy(r => r.UserId).Select(g => g.Select(SourceOf).Distinct().Count()), Has.All.EqualTo(1), "no user id is shared between conversations");
    }

    [Test]
    public async Task RunAsync_LaneIds_MaskToTheSameTextSoEchoedIdsDoNotDiffer()
    {
        var old = new FakeStack("old");
        var @new = new FakeStack("new");
        var replayer = new Replayer(old, @new, new ReplayConfig { Concurrency = 1 });

        await replayer.RunAsync(Conversations(1, 1), null, CancellationToken.None);

        var masked = old.Requests.Concat(@new.Requests).Select(r => TextNormalizer.MaskLaneIds(r.ConversationId + " " + r.UserId)).Distinct().ToArray();
        Assert.That(masked, Is.EqualTo(new[] { "c1 u1" }), "lane suffixes vanish, so lanes also equal the unsuffixed primary traffic the shadow mirror compares with");
        Assert.That(@new.Requests.Single().ConversationId, Is.EqualTo(replayer.LaneId("c1", Lane.New)));
    }

    [Test]
    public async Task RunAsync_TurnsOfAConversation_ArriveInOrderOnEveryLane()
    {
        var old = new FakeStack("old");
        var @new = new FakeStack("new");
        var replayer = new Replayer(old, @new, new ReplayConfig { Concurrency = 4 });

        var replays = await replayer.RunAsync(Conversations(6, 4), null, CancellationToken.None);

        foreach (var lane in old.Requests.Concat(@new.Requests).GroupBy(r => r.ConversationId))
        {
            var source = SourceOf(lane.First());
            Assert.That(lane.Select(r => r.TurnIndex), Is.EqualTo(new[] { 0, 1, 2, 3 }), lane.Key);
            Assert.That(lane.Select(r => r.Message), Is.EqualTo(Enumerable.Range(0, 4).Select(t => $"{source} turn {t}")), lane.Key);
        }

        Assert.That(replays.Select(r => r.Turns.Select(t => t.Index)), Has.All.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(replays.SelectMany(r => r.Turns).Select(t => t.New.TurnIndex == t.Index && t.Old.TurnIndex == t.Index), Has.All.True);
    }

    [Test]
    public async Task RunAsync_History_CarriesEachLanesOwnEarlierReplies()
    {
        var old = new FakeStack("old");
        var @new = new FakeStack("new");
        var replayer = new Replayer(old, @new, new ReplayConfig { Concurrency = 1 });

        await replayer.RunAsync(Conversations(1, 3), null, CancellationToken.None);

        var last = @new.Requests.Single(r => r.TurnIndex == 2);
        Assert.That(last.History.Select(h => h.User), Is.EqualTo(new[] { "c1 turn 0", "c1 turn 1" }));
        Assert.That(last.History.Select(h => h.Assistant), Has.All.StartWith($"new:{last.ConversationId}:"));
    }

    [Test]
    public async Task RunAsync_Concurrency_BoundsConversationsInFlight()
    {
        const int concurrency = 4;
        var allIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        FakeStack @new = null!;
        @new = new FakeStack("new")
        {
            OnCall = async (_, _, _) =>
            {
                if (@new.InFlight >= concurrency)
                {
                    allIn.TrySetResult();
                }

                try
                {
                    // Hold the first calls until `concurrency` conversations are in flight; the guard only stops a
                    // serial replayer from hanging the test (it then fails on MaxInFlight).
                    await allIn.Task.WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (TimeoutException)
                {
                    allIn.TrySetResult();
                }
            },
        };
        var old = new FakeStack("old");
        var replayer = new Replayer(old, @new, new ReplayConfig { Concurrency = concurrency });

        var replays = await replayer.RunAsync(Conversations(12, 2), null, CancellationToken.None);

        Assert.That(@new.MaxInFlight, Is.EqualTo(concurrency));
        Assert.That(old.MaxInFlight, Is.LessThanOrEqualTo(2 * concurrency), "old and old′ of each conversation");
        Assert.That(replays, Has.Count.EqualTo(12));
        Assert.That(replays.Select(r => r.Completed), Has.All.True);
    }

    [Test]
    public async Task RunAsync_RepeatOldOff_UsesTwoLanesAndNoOldRepeat()
    {
        var old = new FakeStack("old");
        var @new = new FakeStack("new");
        var replayer = new Replayer(old, @new, new ReplayConfig { Concurrency = 2, RepeatOld = false });

        var replays = await replayer.RunAsync(Conversations(3, 2), null, CancellationToken.None);

        Assert.That(replays.SelectMany(r => r.Turns).Select(t => t.OldRepeat), Has.All.Null);
        Assert.That(old.Requests, Has.Count.EqualTo(3 * 2));
        Assert.That(old.Requests.GroupBy(SourceOf).Select(g => g.Select(r => r.ConversationId).Distinct().Count()), Has.All.EqualTo(1));
    }

    [Test]
    public async Task RunAsync_NewStackFails_ContinuesAndReturnsEveryConversation()
    {
        var old = new FakeStack("old");
        var @new = new FakeStack("new")
        {
            Respond = r => new StackObservation { Stack = "new", ConversationId = r.ConversationId, TurnIndex = r.TurnIndex, HttpStatus = 500, Error = new ObservationError(ObservationErrorKind.HttpStatus, "HTTP 500") },
        };
        var progress = new LastProgress();
        var replayer = new Replayer(old, @new, new ReplayConfig { Concurrency = 2 });

        var replays = await replayer.RunAsync(Conversations(4, 3), progress, CancellationToken.None);

        Assert.That(replays.Select(r => r.Conversation.Id), Is.EqualTo(new[] { "c1", "c2", "c3", "c4" }));
        Assert.That(replays.Select(r => r.Completed), Has.All.True);
        Assert.That(replays.Sum(r => r.Turns.Count), Is.EqualTo(12));
        Assert.That(replays.SelectMany(r => r.Turns).Select(t => t.New.Error?.Kind), Has.All.EqualTo(ObservationErrorKind.HttpStatus));
        Assert.That(progress.Last, Is.EqualTo(new ReplayProgress(4, 4, 12, 12)));
    }

    [Test]
    public async Task RunAsync_CancelledMidRun_ReturnsCompletedAndPartialConversationsWithoutThrowing()
    {
        using var cts = new CancellationTokenSource();
        var old = new FakeStack("old");
        var @new = new FakeStack("new")
        {
            // Conversation c2's second turn (the 5th turn of the run) is where the user presses Ctrl+C.
            OnCall = (call, _, _) =>
            {
                if (call == 5)
                {
                    cts.Cancel();
                }

                return Task.CompletedTask;
            },
        };
        var replayer = new Replayer(old, @new, new ReplayConfig { Concurrency = 1 });

        var replays = await replayer.RunAsync(Conversations(5, 3), null, cts.Token);

        Assert.That(replays.Select(r => r.Conversation.Id), Is.EqualTo(new[] { "c1", "c2" }));
        Assert.That(replays[0].Completed, Is.True);
        Assert.That(replays[0].Turns, Has.Count.EqualTo(3));
        Assert.That(replays[1].Completed, Is.False);
        Assert.That(replays[1].Turns, Has.Count.EqualTo(1), "the cancelled turn is not kept as if it had an answer");
        Assert.That(@new.Requests.Select(SourceOf).Distinct(), Is.EqualTo(new[] { "c1", "c2" }), "no turn starts after cancellation");
    }

    [Test]
    public async Task RunAsync_AlreadyCancelled_ReturnsNothingWithoutCallingStacks()
    {
        var old = new FakeStack("old");
        var @new = new FakeStack("new");
        var replayer = new Replayer(old, @new, new ReplayConfig());

        var replays = await replayer.RunAsync(Conversations(3, 2), null, new CancellationToken(canceled: true));

        Assert.That(replays, Is.Empty);
        Assert.That(old.Requests.Concat(@new.Requests), Is.Empty);
    }

    private sealed class LastProgress : IProgress<ReplayProgress>
    {
        private readonly Lock _lock = new();
        private ReplayProgress? _last;

        public ReplayProgress? Last
        {
            get
            {
                lock (_lock)
                {
                    return _last;
                }
            }
        }

        public void Report(ReplayProgress value)
        {
            lock (_lock)
            {
                if (_last is null || value.ConversationsDone > _last.ConversationsDone)
                {
                    _last = value;
                }
            }
        }
    }
}
