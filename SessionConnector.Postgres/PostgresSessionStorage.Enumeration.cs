using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;
using SessionConnector.Storage;

namespace SessionConnector.Postgres;

// Store maintenance (sessionctl): a keyset walk over the primary key. Each page is its own short statement, so the
// walk holds no snapshot, lock or cursor open between pages, however long the caller spends on each record.
public sealed partial class PostgresSessionStorage
{
    /// <inheritdoc />
    /// <remarks>
    /// Pages through the table in key order (<c>WHERE key &gt; last ORDER BY key LIMIT n</c>, an index range scan), one
    /// statement per page. Expired rows not yet swept are included, so maintenance can purge them. A row whose key is
    /// not a storage key (written by something else) is skipped.
    /// </remarks>
    public override async IAsyncEnumerable<KeyValuePair<string, StoredRecord>> EnumerateAsync(int batchSize = 256, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ValidateBatchSize(batchSize);
        string? last = null;
        while (true)
        {
            List<KeyValuePair<string, StoredRecord>> page = await FetchPageAsync(last, batchSize, cancellationToken).ConfigureAwait(false);
            foreach (KeyValuePair<string, StoredRecord> entry in page)
            {
                if (IsStorageKey(entry.Key)) yield return entry;
            }

            if (page.Count < batchSize) yield break;
            last = page[^1].Key;
        }
    }

    private async Task<List<KeyValuePair<string, StoredRecord>>> FetchPageAsync(string? after, int batchSize, CancellationToken cancellationToken)
    {
        var page = new List<KeyValuePair<string, StoredRecord>>(batchSize);
        try
        {
            await using NpgsqlCommand command = Command(after is null ? _sql.EnumerateFirst : _sql.EnumerateNext);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize, NpgsqlDbType = NpgsqlDbType.Integer });
            if (after is not null) command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = after, NpgsqlDbType = NpgsqlDbType.Text });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                page.Add(new KeyValuePair<string, StoredRecord>(reader.GetString(0), ToRecord(reader, 1)));
            }
        }
        catch (Exception e) when (IsPostgresFailure(e, cancellationToken))
        {
            throw Failure("enumerate", e);
        }

        return page;
    }
}
