using System.Text;
using System.Text.Json;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;
using Microsoft.Data.Sqlite;

namespace EdgeAI.Sdk.Tests.Messaging;

public sealed class SqliteOutboxTests : IDisposable
{
    private static readonly DateTime At = new(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static JsonElement Result(int i) => JsonSerializer.SerializeToElement(new Dictionary<string, int> { ["i"] = i }, OutboxTestJson.Default.DictionaryStringInt32);

    private static int ResultIndex(OutboxMessage message)
    {
        Assert.True(MessageEnvelope.TryParse(message.Payload.Span, out var envelope));
        return envelope.Payload.GetProperty("i").GetInt32();
    }

    [Fact]
    public void Messages_survive_reopening_and_come_back_in_order_with_a_wal_journal()
    {
        var path = _dir.File("outbox.db");
        using (var outbox = SqliteOutbox.Open(path, "dev", 1000))
        {
            for (var i = 0; i < 50; i++)
            {
                outbox.Append("edgeai/s/dev/a/k", "a", "k", At, Result(i));
            }
        }

        using var reopened = SqliteOutbox.Open(path, "dev", 1000);
        var messages = reopened.Peek(100);

        Assert.Equal(50, reopened.Count);
        Assert.Equal(Enumerable.Range(0, 50), messages.Select(ResultIndex));
        Assert.Equal(messages.Select(m => m.Id).Order(), messages.Select(m => m.Id));
        Assert.Equal(50, messages.Select(m => m.MessageId).Distinct().Count());
        using var probe = new SqliteConnection($"Data Source={path}");
        probe.Open();
        using var command = probe.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)command.ExecuteScalar());
    }

    [Fact]
    public void Sequence_numbers_are_consecutive_per_agent_and_survive_restarts()
    {
        var path = _dir.File("outbox.db");
        var seen = new Dictionary<string, List<long>> { ["a"] = [], ["b"] = [] };
        for (var run = 0; run < 3; run++)
        {
            using var outbox = SqliteOutbox.Open(path, "dev", 1000);
            for (var i = 0; i < 10; i++)
            {
                var agent = i % 3 == 0 ? "b" : "a";
                var stored = outbox.Append($"edgeai/s/dev/{agent}/k", agent, "k", At, Result(i));
                seen[agent].Add(stored.Seq);
                Assert.True(MessageEnvelope.TryParse(stored.Payload.Span, out var envelope));
                Assert.Equal(stored.Seq, envelope.Seq);
                Assert.Equal(stored.MessageId, envelope.MessageId);
            }

            // Acknowledging (deleting) must not reset the counters.
            outbox.Remove(outbox.Peek(100).Select(m => m.Id).ToArray());
        }

        Assert.Equal(Enumerable.Range(1, 18).Select(i => (long)i), seen["a"]);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), seen["b"]);
        using var last = SqliteOutbox.Open(path, "dev", 1000);
        Assert.Equal(18, last.LastSequence("a"));
        Assert.Equal(12, last.LastSequence("b"));
        Assert.Equal(0, last.Count);
    }

    [Fact]
    public void A_full_outbox_drops_the_oldest_and_keeps_a_persistent_count()
    {
        var path = _dir.File("outbox.db");
        using (var outbox = SqliteOutbox.Open(path, "dev", 10))
        {
            for (var i = 0; i < 25; i++)
            {
                outbox.Append("edgeai/s/dev/a/k", "a", "k", At, Result(i));
            }

            Assert.Equal(10, outbox.Count);
            Assert.Equal(15, outbox.DroppedCount);
        }

        using (var reopened = SqliteOutbox.Open(path, "dev", 10))
        {
            Assert.Equal(15, reopened.DroppedCount);
            Assert.Equal(Enumerable.Range(15, 10), reopened.Peek(100).Select(ResultIndex));

            // A batch larger than the whole outbox keeps only its newest messages.
            var batch = Enumerable.Range(100, 13).Select(i => new OutboxEntry("edgeai/s/dev/a/k", "a", "k", At, Result(i))).ToArray();
            var stored = reopened.AppendBatch(batch);
            Assert.Equal(Enumerable.Range(103, 10), stored.Select(ResultIndex));
            Assert.Equal(Enumerable.Range(103, 10), reopened.Peek(100).Select(ResultIndex));
            Assert.Equal(15 + 10 + 3, reopened.DroppedCount);

            // The gap shows in the sequence numbers: the last kept message has seq 38 (25 + 13).
            Assert.Equal(38, reopened.Peek(100)[^1].Seq);
        }
    }

    [Fact]
    public void Corrupt_rows_are_deleted_and_counted_and_do_not_block_the_others()
    {
        var path = _dir.File("outbox.db");
        using (var outbox = SqliteOutbox.Open(path, "dev", 1000))
        {
            for (var i = 0; i < 6; i++)
            {
                outbox.Append("edgeai/s/dev/a/k", "a", "k", At, Result(i));
            }
        }

        using (var raw = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            raw.Open();
            using var damage = raw.CreateCommand();
            damage.CommandText = """
                UPDATE outbox SET payload = 42 WHERE id = 2;
                UPDATE outbox SET topic = 'edgeai/#' WHERE id = 3;
                UPDATE outbox SET message_id = x'00ff' WHERE id = 4;
                UPDATE outbox SET seq = 'many' WHERE id = 5;
                """;
            damage.ExecuteNonQuery();
        }

        using var reopened = SqliteOutbox.Open(path, "dev", 1000);
        var messages = reopened.Peek(100);

        Assert.Equal([0, 5], messages.Select(ResultIndex));
        Assert.Equal(4, reopened.CorruptCount);
        Assert.Equal(2, reopened.Count);
    }

    [Fact]
    public void A_file_that_is_not_a_database_gives_an_outbox_error_naming_it()
    {
        var path = _dir.File("outbox.db");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes(new string('x', 8192)));

        var ex = Assert.Throws<OutboxException>(() => SqliteOutbox.Open(path, "dev", 10));

        Assert.Equal(path, ex.Path);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_payload_that_is_not_an_object()
    {
        using var outbox = SqliteOutbox.Open(_dir.File("outbox.db"), "dev", 10);
        using var array = JsonDocument.Parse("[1]");

        var ex = Assert.Throws<ArgumentException>(() => outbox.Append("t/a", "a", "k", At, array.RootElement));

        Assert.Equal("payload", ex.ParamName);
        Assert.Equal(0, outbox.Count);
    }
}
