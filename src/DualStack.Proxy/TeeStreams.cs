using System.Buffers;
using System.Runtime.CompilerServices;

namespace DualStack.Proxy;

/// <summary>Keeps a copy of the first <c>limit</c> bytes passing through, in a pooled buffer; counts the rest.</summary>
internal sealed class BodyCopy : IDisposable
{
    private byte[]? _buffer;
    private readonly int _limit;

    public BodyCopy(int limit)
    {
        _limit = limit;
    }

    public int Length { get; private set; }

    public long Total { get; private set; }

    public bool Truncated => Total > Length;

    public ReadOnlyMemory<byte> Memory => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, Length);

    public void Append(ReadOnlySpan<byte> data)
    {
        Total += data.Length;
        var room = _limit - Length;
        if (room <= 0 || data.IsEmpty)
        {
            return;
        }

        var take = Math.Min(room, data.Length);
        if (_buffer is null || _buffer.Length < Length + take)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_limit, Math.Max(Length + take, 4096)));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, Length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = bigger;
        }

        data[..take].CopyTo(_buffer.AsSpan(Length));
        Length += take;
    }

    /// <summary>A private copy of the kept bytes (the pooled buffer goes back to the pool on dispose).</summary>
    public byte[] ToArray() => Memory.ToArray();

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}

/// <summary>A request body stream that copies what the forwarder reads; the body still streams to the old stack unchanged.</summary>
internal sealed class TeeReadStream(Stream inner, BodyCopy copy) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = inner.Read(buffer, offset, count);
        copy.Append(buffer.AsSpan(offset, n));
        return n;
    }

    // Per request, on the primary path: a read that completed at once (the usual case for a small body) costs a
    // copy and nothing else; one that waits awaits through a pooled state machine, never a new one.
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = inner.ReadAsync(buffer, cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            var n = read.Result;
            copy.Append(buffer.Span[..n]);
            return new ValueTask<int>(n);
        }

        return AwaitReadAsync(read, buffer);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> AwaitReadAsync(ValueTask<int> read, Memory<byte> buffer)
    {
        var n = await read.ConfigureAwait(false);
        copy.Append(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A response body stream that copies what the forwarder writes while passing every write and flush straight through (SSE stays incremental).</summary>
internal sealed class TeeWriteStream(Stream inner, BodyCopy copy) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        copy.Append(buffer.AsSpan(offset, count));
    }

    // As the read side: a completed write costs the copy only; a pending one awaits through a pooled state machine.
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var write = inner.WriteAsync(buffer, cancellationToken);
        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult(); // consumed once, like an await: a pooled source may be reused
            copy.Append(buffer.Span);
            return ValueTask.CompletedTask;
        }

        return AwaitWriteAsync(write, buffer);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitWriteAsync(ValueTask write, ReadOnlyMemory<byte> buffer)
    {
        await write.ConfigureAwait(false);
        copy.Append(buffer.Span);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
