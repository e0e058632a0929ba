using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace EdgeAI.Messaging;

/// <summary>
/// Durable, bounded, ordered store of messages that have not yet been acknowledged by the broker: one SQLite
/// file in WAL mode with <c>synchronous=FULL</c>, so a committed message survives a crash or a power cut.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Append"/> gives each result a unique message id (version 7 GUID) and the next sequence number of
/// its agent in the same transaction that stores it, so sequence numbers increase by exactly one and survive
/// restarts. Messages come back from <see cref="Peek(int)"/> in insertion order; <see cref="Remove"/> deletes them
/// once the broker has acknowledged them (PUBACK). A crash between PUBACK and delete sends the message again
/// with the same message id (at-least-once).
/// </para>
/// <para>
/// Overflow policy: the outbox holds at most <c>maxMessages</c>. Appending to a full outbox deletes the oldest
/// messages in the same transaction and adds them to <see cref="DroppedCount"/>, a counter stored in the file.
/// Rows that cannot be read back (wrong types, invalid topic, e.g. after disk corruption) are deleted when met
/// and counted in <see cref="CorruptCount"/>; they never stop the drain.
/// </para>
/// <para>Thread-safe: all operations are serialized on one connection.</para>
/// </remarks>
public sealed class SqliteOutbox : IDisposable
{
    private const int SchemaVersion = 1;
    private const string DroppedCounter = "dropped_overflow";
    private const string CorruptCounter = "dropped_corrupt";

    private readonly Lock _gate = new();
    private readonly SqliteConnection _connection;
    private readonly string _device;
    private readonly TimeProvider _timeProvider;
    private readonly EnvelopeWriter _envelopes = new(); // under _gate
    private long _count;
    private long _dropped;
    private long _corrupt;
    private bool _disposed;

    private SqliteOutbox(string path, SqliteConnection connection, string device, int maxMessages, TimeProvider timeProvider)
    {
        Path = path;
        _connection = connection;
        _device = device;
        MaxMessages = maxMessages;
        _timeProvider = timeProvider;
    }

    /// <summary>The outbox file.</summary>
    public string Path { get; }

    /// <summary>Most messages held; older ones are dropped beyond this.</summary>
    public int MaxMessages { get; }

    /// <summary>Messages waiting for acknowledgement.</summary>
    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Messages deleted unsent because the outbox was full, over the file's whole life.</summary>
    public long DroppedCount
    {
        get
        {
            lock (_gate)
            {
                return _dropped;
            }
        }
    }

    /// <summary>Unreadable rows deleted, over the file's whole life.</summary>
    public long CorruptCount
    {
        get
        {
            lock (_gate)
            {
                return _corrupt;
            }
        }
    }

    /// <summary>Opens or creates an outbox file.</summary>
    /// <param name="path">The SQLite file; its directory is created if missing.</param>
    /// <param name="device">Device name written into every envelope; sequence numbers are kept per device and agent.</param>
    /// <param name="maxMessages">Capacity, at least 1 (see the overflow policy in the remarks).</param>
    /// <param name="timeProvider">Clock for message ids; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The open outbox.</returns>
    /// <exception cref="OutboxException">The file is not a SQLite database, is corrupt, or cannot be written.</exception>
    public static SqliteOutbox Open(string path, string device, int maxMessages, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrEmpty(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);

        var fullPath = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        SQLitePCL.Batteries_V2.Init();
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 5,
        }.ToString();

        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA journal_mode=WAL;");
            Execute(connection, "PRAGMA synchronous=FULL;");
            Execute(connection, "PRAGMA busy_timeout=5000;");
            var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
            if (version > SchemaVersion)
            {
                throw new OutboxException($"Outbox '{fullPath}' has schema version {version}; this SDK understands up to {SchemaVersion}.", fullPath);
            }

            Execute(connection, """
                CREATE TABLE IF NOT EXISTS outbox(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    message_id TEXT NOT NULL,
                    agent TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    topic TEXT NOT NULL,
                    payload BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS sequences(
                    device TEXT NOT NULL,
                    agent TEXT NOT NULL,
                    last_seq INTEGER NOT NULL,
                    PRIMARY KEY(device, agent));
                CREATE TABLE IF NOT EXISTS counters(
                    name TEXT PRIMARY KEY,
                    value INTEGER NOT NULL);
                PRAGMA user_version=1;
                """);

            var outbox = new SqliteOutbox(fullPath, connection, device, maxMessages, timeProvider ?? TimeProvider.System);
            outbox._count = (long)Scalar(connection, "SELECT COUNT(*) FROM outbox;")!;
            outbox._dropped = outbox.ReadCounter(DroppedCounter);
            outbox._corrupt = outbox.ReadCounter(CorruptCounter);
            return outbox;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw new OutboxException($"Outbox '{fullPath}' cannot be opened: {ex.Message} (SQLite error {ex.SqliteErrorCode}).", fullPath, ex);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Stores one result; it is durable when this returns.</summary>
    /// <param name="topic">The MQTT topic (from <see cref="TopicScheme.ResultTopic"/>).</param>
    /// <param name="agent">The agent that produced the result.</param>
    /// <param name="kind">The result kind.</param>
    /// <param name="timestampUtc">When the result was produced; converted to UTC.</param>
    /// <param name="payload">The result: a JSON object.</param>
    /// <returns>The stored message with its message id and sequence number.</returns>
    /// <exception cref="ArgumentException"><paramref name="payload"/> is not a JSON object.</exception>
    /// <exception cref="OutboxException">SQLite failed (disk full, I/O error).</exception>
    public OutboxMessage Append(string topic, string agent, string kind, DateTime timestampUtc, JsonElement payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentException.ThrowIfNullOrEmpty(agent);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        if (payload.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"The payload is a JSON {payload.ValueKind}; a result must be a JSON object.", nameof(payload));
        }

        Span<OutboxEntry> one = [new OutboxEntry(topic, agent, kind, timestampUtc, payload)];
        return AppendBatch(one)[0];
    }

    /// <summary>Stores several results in one transaction (one fsync), in order.</summary>
    internal List<OutboxMessage> AppendBatch(ReadOnlySpan<OutboxEntry> entries)
    {
        var stored = new List<OutboxMessage>(entries.Length);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                using var transaction = _connection.BeginTransaction();
                using var nextSeq = _connection.CreateCommand();
                nextSeq.Transaction = transaction;
                nextSeq.CommandText = """
                    INSERT INTO sequences(device, agent, last_seq) VALUES($device, $agent, 1)
                    ON CONFLICT(device, agent) DO UPDATE SET last_seq = last_seq + 1
                    RETURNING last_seq;
                    """;
                var seqDevice = nextSeq.Parameters.Add("$device", SqliteType.Text);
                var seqAgent = nextSeq.Parameters.Add("$agent", SqliteType.Text);
                seqDevice.Value = _device;

                using var insert = _connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = """
                    INSERT INTO outbox(message_id, agent, seq, topic, payload) VALUES($mid, $agent, $seq, $topic, $payload)
                    RETURNING id;
                    """;
                var mid = insert.Parameters.Add("$mid", SqliteType.Text);
                var agent = insert.Parameters.Add("$agent", SqliteType.Text);
                var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
                var topic = insert.Parameters.Add("$topic", SqliteType.Text);
                var payload = insert.Parameters.Add("$payload", SqliteType.Blob);

                foreach (var entry in entries)
                {
                    seqAgent.Value = entry.Agent;
                    var sequence = (long)nextSeq.ExecuteScalar()!;
                    var messageId = Guid.CreateVersion7(_timeProvider.GetUtcNow()).ToString("D");
                    var bytes = entry.Utf8Payload is { } utf8
                        ? _envelopes.Write(messageId, _device, entry.Agent, entry.Kind, sequence, entry.TimestampUtc.ToUniversalTime(), utf8.AsSpan(0, entry.Utf8Length))
                        : new MessageEnvelope
                        {
                            MessageId = messageId,
                            Device = _device,
                            Agent = entry.Agent,
                            Kind = entry.Kind,
                            Seq = sequence,
                            Timestamp = entry.TimestampUtc.ToUniversalTime(),
                            Payload = entry.Payload,
                        }.ToUtf8Json();
                    mid.Value = messageId;
                    agent.Value = entry.Agent;
                    seq.Value = sequence;
                    topic.Value = entry.Topic;
                    payload.Value = bytes;
                    var id = (long)insert.ExecuteScalar()!;
                    stored.Add(new OutboxMessage(id, messageId, entry.Agent, sequence, entry.Topic, bytes));
                }

                var count = _count + entries.Length;
                var dropped = 0L;
                if (count > MaxMessages)
                {
                    dropped = count - MaxMessages;
                    using var trim = _connection.CreateCommand();
                    trim.Transaction = transaction;
                    trim.CommandText = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT $n);";
                    trim.Parameters.AddWithValue("$n", dropped);
                    trim.ExecuteNonQuery();
                    AddToCounter(transaction, DroppedCounter, dropped);
                }

                transaction.Commit();
                // The oldest rows go first: the batch itself loses messages only when more were dropped than
                // were stored before it.
                var droppedFromBatch = (int)Math.Max(0, dropped - _count);
                stored.RemoveRange(0, droppedFromBatch);
                _count = count - dropped;
                _dropped += dropped;
            }
            catch (SqliteException ex)
            {
                throw new OutboxException($"Outbox '{Path}': storing {entries.Length} message(s) failed: {ex.Message} (SQLite error {ex.SqliteErrorCode}).", Path, ex);
            }
        }

        return stored;
    }

    /// <summary>The oldest messages, in order, without removing them.</summary>
    /// <param name="maxCount">Most messages to return, at least 1.</param>
    /// <returns>Up to <paramref name="maxCount"/> messages, oldest first. Unreadable rows are deleted and counted instead.</returns>
    /// <exception cref="OutboxException">SQLite failed.</exception>
    public IReadOnlyList<OutboxMessage> Peek(int maxCount) => Peek(maxCount, afterId: 0);

    /// <summary>Like <see cref="Peek(int)"/>, but only messages with a row id above <paramref name="afterId"/>.</summary>
    internal IReadOnlyList<OutboxMessage> Peek(int maxCount, long afterId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        var messages = new List<OutboxMessage>(Math.Min(maxCount, 1024));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                List<long>? corrupt = null;
                using (var select = _connection.CreateCommand())
                {
                    select.CommandText = "SELECT id, message_id, agent, seq, topic, payload FROM outbox WHERE id > $after ORDER BY id LIMIT $n;";
                    select.Parameters.AddWithValue("$after", afterId);
                    select.Parameters.AddWithValue("$n", maxCount);
                    using var reader = select.ExecuteReader();
                    while (reader.Read())
                    {
                        var id = reader.GetInt64(0);
                        if (TryReadRow(reader) is { } row)
                        {
                            messages.Add(row with { Id = id });
                        }
                        else
                        {
                            (corrupt ??= []).Add(id);
                        }
                    }
                }

                if (corrupt is not null)
                {
                    using var transaction = _connection.BeginTransaction();
                    DeleteIds(transaction, corrupt);
                    AddToCounter(transaction, CorruptCounter, corrupt.Count);
                    transaction.Commit();
                    _count -= corrupt.Count;
                    _corrupt += corrupt.Count;
                }
            }
            catch (SqliteException ex)
            {
                throw new OutboxException($"Outbox '{Path}': reading messages failed: {ex.Message} (SQLite error {ex.SqliteErrorCode}).", Path, ex);
            }
        }

        return messages;
    }

    /// <summary>Deletes acknowledged messages.</summary>
    /// <param name="ids">Row ids (<see cref="OutboxMessage.Id"/>); ids no longer present are ignored.</param>
    /// <exception cref="OutboxException">SQLite failed.</exception>
    public void Remove(IReadOnlyCollection<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                using var transaction = _connection.BeginTransaction();
                var removed = DeleteIds(transaction, ids);
                transaction.Commit();
                _count -= removed;
            }
            catch (SqliteException ex)
            {
                throw new OutboxException($"Outbox '{Path}': deleting acknowledged messages failed: {ex.Message} (SQLite error {ex.SqliteErrorCode}).", Path, ex);
            }
        }
    }

    /// <summary>The last sequence number given to an agent's message on this device; 0 before the first.</summary>
    /// <param name="agent">The agent.</param>
    /// <returns>The last sequence number.</returns>
    public long LastSequence(string agent)
    {
        ArgumentException.ThrowIfNullOrEmpty(agent);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT last_seq FROM sequences WHERE device = $device AND agent = $agent;";
            command.Parameters.AddWithValue("$device", _device);
            command.Parameters.AddWithValue("$agent", agent);
            return command.ExecuteScalar() is long value ? value : 0;
        }
    }

    /// <summary>Closes the file. Committed messages stay for the next <see cref="Open"/>.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _connection.Dispose();
            _envelopes.Dispose();
        }
    }

    private static OutboxMessage? TryReadRow(SqliteDataReader reader)
    {
        // SQLite columns are dynamically typed: a damaged or hand-edited row may hold anything. Check the
        // storage class of every column before reading it.
        if (reader.GetFieldType(1) != typeof(string)
            || reader.GetFieldType(2) != typeof(string)
            || reader.GetFieldType(3) != typeof(long)
            || reader.GetFieldType(4) != typeof(string)
            || reader.GetFieldType(5) != typeof(byte[]))
        {
            return null;
        }

        var messageId = reader.GetString(1);
        var agent = reader.GetString(2);
        var seq = reader.GetInt64(3);
        var topic = reader.GetString(4);
        var payload = (byte[])reader.GetValue(5);
        if (!Guid.TryParseExact(messageId, "D", out _) || agent.Length == 0 || seq < 1 || !IsPublishableTopic(topic) || payload.Length == 0)
        {
            return null;
        }

        return new OutboxMessage(0, messageId, agent, seq, topic, payload);
    }

    private static bool IsPublishableTopic(string topic) =>
        topic.Length > 0
        && topic.AsSpan().IndexOfAny('+', '#', '\0') < 0
        && Encoding.UTF8.GetByteCount(topic) <= TopicScheme.MaxTopicBytes;

    private int DeleteIds(SqliteTransaction transaction, IEnumerable<long> ids)
    {
        using var delete = _connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM outbox WHERE id = $id;";
        var parameter = delete.Parameters.Add("$id", SqliteType.Integer);
        var removed = 0;
        foreach (var id in ids)
        {
            parameter.Value = id;
            removed += delete.ExecuteNonQuery();
        }

        return removed;
    }

    private long ReadCounter(string name)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM counters WHERE name = $name;";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() is long value ? value : 0;
    }

    private void AddToCounter(SqliteTransaction transaction, string name, long delta)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO counters(name, value) VALUES($name, $delta)
            ON CONFLICT(name) DO UPDATE SET value = value + $delta;
            """;
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$delta", delta);
        command.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
