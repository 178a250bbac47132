SELECT code, name FROM regions WHERE level = :level AND code LIKE :scope || '%' ORDER BY code
