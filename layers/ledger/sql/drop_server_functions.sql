-- Every version of the ledger's server functions goes before they are created again, whatever its arguments:
-- CREATE OR REPLACE cannot change what a function returns, and a version with other arguments would stay behind
-- as an overload. The names are those of layers/ledger/server_functions.py:FUNCTIONS.
DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT oid::regprocedure FROM pg_proc
             WHERE proname IN ('ccgrid_intake', 'ccgrid_problem_json', 'ccgrid_problem_owners',
                               'ccgrid_problem_photos', 'ccgrid_department_rule_rank')
               AND pronamespace = 'public'::regnamespace LOOP
        EXECUTE 'DROP FUNCTION ' || f;
    END LOOP;
END $$
