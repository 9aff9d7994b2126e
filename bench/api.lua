-- wrk script of bench/api.sh: each request asks for a random account's figures with that account's own token.
-- Arguments (after --): the tokens file ("ALIAS TOKEN" lines) and the month.
local accounts = {}
local month

function init(args)
	for line in io.lines(args[1]) do
		local alias, token = line:match("^(%S+) (%S+)$")
		if alias then
			accounts[#accounts + 1] = {"/v1/accounts/" .. alias .. "/partner-usage?month=" .. args[2],
				{Authorization = "Bearer " .. token}}
		end
	end
	math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
	local a = accounts[math.random(#accounts)]
	return wrk.format("GET", a[1], a[2])
end
